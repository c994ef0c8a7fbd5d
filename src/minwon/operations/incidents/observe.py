"""Looking at a local cluster for the watcher, without ever holding up its rounds.

The processes are looked at in the round itself (``/proc`` and ``state.json``: no
network). Everything that asks over the network runs in a thread of its own
(``Prober``), every ``PROBE_SECONDS``, with short timeouts; a round takes whatever each
prober last saw, and a prober that hangs only makes its own source go quiet (its last
reading stands) while the rounds go on.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from minwon.operations import plain_http
from minwon.operations.cluster.control import STATE_FILE, is_supervised, read_credentials
from minwon.operations.cluster.errors import ClusterNotFoundError
from minwon.operations.cluster.faults import ProcessKind, ProcessRef
from minwon.operations.cluster.probes import (
    app_ready,
    as_superuser,
    etcd_healthy,
    fetch_cluster,
    reaches_primary,
)
from minwon.operations.cluster.spec import ClusterSpec, Credentials
from minwon.operations.cluster.state import ClusterState, StateStore
from minwon.operations.cluster.status import parse_members
from minwon.operations.cluster.supervise import is_ours, postmaster_pid
from minwon.operations.cluster.tuning import MAX_HEALTHY_LAG_BYTES
from minwon.operations.incidents.conditions import (
    ProcessSeen,
    ProcessTracker,
    Reading,
    RoleTracker,
    app_reading,
    archive_reading,
    backup_reading,
    etcd_reading,
    hang_reading,
    path_reading,
)
from minwon.operations.incidents.edges import EdgeWatch
from minwon.operations.incidents.gap import IssuanceTrack
from minwon.operations.incidents.hangs import stopped
from minwon.operations.incidents.issued import IssuedFeed
from minwon.operations.incidents.model import Cause, Incident
from minwon.operations.incidents.planned import requested_switchover
from minwon.operations.incidents.prober import PROBE_SECONDS, Prober
from minwon.operations.incidents.reach import reach_reading, silent_members
from minwon.operations.incidents.site import SiteTracker, look_at_sites

HTTP_TIMEOUT = 0.5
METRICS_TIMEOUT = 3.0
ARCHIVE_SECONDS = 5.0  # pg_stat_archiver changes slowly: a look every 5 s is plenty
ISSUING = re.compile(r"/(issuances|issue)$")  # POST routes that issue a document
BACKUP_FAILED = re.compile(r"^(\S+) scheduled (\w+) backup FAILED (.*)$")


def issued_total(metrics_text: str) -> float:
    """Returns the number of issuing requests that succeeded, from ``/metrics``."""
    total = 0.0
    for family in text_string_to_metric_families(metrics_text):
        if family.name != "minwon_http_requests":
            continue
        for s in family.samples:
            labels = s.labels
            if (
                s.name.endswith("_total")
                and labels.get("method") == "POST"
                and ISSUING.search(labels.get("route", ""))
                and labels.get("status", "").startswith(("2", "3"))
            ):
                total += s.value
    return total


def app_metrics(url: str) -> float | None:
    """Returns an app's issued total, or None if its ``/metrics`` did not answer."""
    try:
        # A busy app (the only one left serving) may take a while: a read that timed out
        # would look like issuance that stopped. The prober's thread can wait.
        # /metrics answers operators only: loopback by default, else the bearer token the
        # app's env file gives (the watcher runs with that environment).
        token = os.environ.get("MINWON_METRICS_TOKEN", "")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = plain_http.get(f"{url}/metrics", timeout=METRICS_TIMEOUT, headers=headers)
    except httpx.HTTPError:
        return None
    return issued_total(response.text) if response.status_code == 200 else None


def archive_failing(spec: ClusterSpec, credentials: Credentials, leader: str) -> tuple[bool, str]:
    """Returns whether the leader's last WAL archiving attempt failed (and which file)."""
    node = spec.node(leader)
    with as_superuser(spec, credentials, node) as conn:
        row = conn.execute(
            "SELECT last_failed_time IS NOT NULL AND last_failed_time >"
            " coalesce(last_archived_time, '-infinity'), coalesce(last_failed_wal, '')"
            " FROM pg_stat_archiver"
        ).fetchone()
    if row is None:
        return False, ""
    return bool(row[0]), f"{leader}: {row[1]}" if row[0] else ""


class LogFailures:
    """The scheduled backups that failed, read from new lines of ``logs/supervisor.log``
    (starting at its end: failures before the watcher started are not replayed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._offset = path.stat().st_size
        except OSError:
            self._offset = 0

    def new(self) -> list[tuple[float, str]]:
        """Returns (time, detail) of each failure logged since the last call."""
        try:
            with open(self.path, encoding="utf-8", errors="replace") as log:
                log.seek(self._offset)
                text = log.read()
                self._offset = log.tell()
        except OSError:
            return []
        found = []
        for line in text.splitlines():
            match = BACKUP_FAILED.match(line)
            if match:
                at = datetime.fromisoformat(match.group(1)).timestamp()
                found.append((at, f"{match.group(2)} backup {match.group(3)}"))
        return found


class LocalObserver:
    """Everything the watcher reads from the local cluster in `root`."""

    def __init__(self, root: Path, issued: IssuedFeed | None = None) -> None:
        self.root = root
        self._store = StateStore(root / STATE_FILE)
        state = self._store.read()
        if state is None:
            raise ClusterNotFoundError(f"no cluster state in {root}")
        self.spec = spec = state.spec
        self.credentials = read_credentials(root)
        self.processes = ProcessTracker()
        self.roles = RoleTracker(MAX_HEALTHY_LAG_BYTES, tuple(n.name for n in spec.nodes))
        self._backups = LogFailures(root / "logs" / "supervisor.log")
        self._leader: str | None = None
        # The PIDs of the last look, for hangs: each process, and each PostgreSQL's tree.
        self._pids: dict[str, int] = {}
        self._postmasters: dict[str, int] = {}
        self._patroni = Prober("patroni", lambda: fetch_cluster(spec, timeout=HTTP_TIMEOUT))
        self._switchover = Prober(
            "switchover", lambda: requested_switchover(spec, HTTP_TIMEOUT), every=PROBE_SECONDS
        )
        self._etcd = Prober("etcd", self._etcd_health)
        self._reach = Prober("reach", partial(silent_members, spec))
        self._paths = [
            Prober(f"haproxy:{p.name}", partial(reaches_primary, spec, p, self.credentials))
            for p in spec.haproxies
        ]
        self._apps = [
            Prober(f"app:{a.name}", partial(app_ready, a.url, HTTP_TIMEOUT)) for a in spec.apps
        ]
        # The apps' counters date issuance only where the issuances themselves cannot be
        # read (no feed): with a feed they are never used, so they are not read either
        # (two /metrics read and parsed twice a second, for nothing).
        self._metrics = (
            []
            if issued is not None
            else [Prober(f"metrics:{a.name}", partial(app_metrics, a.url)) for a in spec.apps]
        )
        self._archive = Prober("archive", self._archive_state, every=ARCHIVE_SECONDS)
        self._issued = issued
        self._issued_prober = [Prober("issued", issued.poll)] if issued is not None else []
        self._track: IssuanceTrack | None = None
        # A second site's: the primary site's loss (``site.py``), its own paths and apps
        # only once it takes writes.
        self._sites = SiteTracker() if spec.standby is not None else None
        self._site = (
            [Prober("site", partial(look_at_sites, root, spec, self.credentials))]
            if spec.standby is not None
            else []
        )
        for prober in self._probers:
            prober.start()
        self._edges = EdgeWatch(root)  # balancers outside the cluster (edges.json)

    @property
    def _probers(self) -> list[Prober[Any]]:
        return [
            self._patroni,
            self._switchover,
            self._etcd,
            self._reach,
            *self._paths,
            *self._apps,
            *self._metrics,
            self._archive,
            *self._issued_prober,
            *self._site,
        ]

    def close(self) -> None:
        """Stops every prober's thread (a watcher that ends, a test that is done)."""
        for prober in self._probers:
            prober.stop()
        self._edges.close()

    def __enter__(self) -> LocalObserver:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def dates_issuance_in(self, track: IssuanceTrack) -> None:
        """Hands the issuance times the feed reads to `track` (the detector's), each
        round: they date the issuance gap, rather than the apps' counters."""
        self._track = track

    def _etcd_health(self) -> dict[str, bool]:
        members = self.spec.etcd
        with ThreadPoolExecutor(max_workers=len(members)) as pool:
            answers = pool.map(lambda m: etcd_healthy(m, timeout=HTTP_TIMEOUT), members)
            return {m.name: ok for m, ok in zip(members, answers, strict=True)}

    def _archive_state(self) -> tuple[bool, str] | None:
        leader = self._leader
        if leader is None or not self.spec.node(leader).backup_config:
            return None
        return archive_failing(self.spec, self.credentials, leader)

    def resume(self, incidents: list[Incident]) -> None:
        """Takes over the leader a previous watcher saw lose its role."""
        for i in incidents:
            if i.cause in (Cause.ROLE_FAILOVER, Cause.ROLE_SWITCHOVER) and i.ended_at is None:
                member = i.component.partition(":")[2]
                self.roles.remember(member, lost_at=i.started_at, cause=i.cause)

    def _seen(self, state: ClusterState) -> list[ProcessSeen]:
        seen = []
        self._pids, self._postmasters = {}, {}
        for ref, launched in state.processes.items():
            if not is_supervised(ref.kind) or ref.kind is ProcessKind.WATCH:
                continue
            # Stopped on purpose (``cluster stop``, a release replacing an app) is held
            # and not killed: no fault. A dead host (``kill --hold``) is both: a fault.
            if ref in state.held and ref not in state.killed:
                continue
            record = state.restarts.get(ref)
            alive = is_ours(launched)
            seen.append(
                ProcessSeen(
                    str(ref),
                    launched.pid,
                    alive,
                    ref in state.held,
                    record.count if record else 0,
                    record.last_at if record else None,
                    record.last_exit if record else "",
                )
            )
            if alive:
                self._pids[str(ref)] = launched.pid
            if ref.kind is ProcessKind.PATRONI:
                data_dir = Path(self.spec.node(ref.name).data_dir)
                if os.access(data_dir, os.R_OK | os.X_OK):  # else: not ours to judge
                    pid = postmaster_pid(data_dir)
                    name = str(ProcessRef(ProcessKind.POSTGRES, ref.name))
                    seen.append(ProcessSeen(name, pid, pid is not None))
                    if pid is not None:
                        self._postmasters[name] = pid
        return seen

    def look(self, at: float) -> tuple[list[Reading], dict[str, float], float | None]:
        """Returns this round's readings, the issued totals of the apps that answered and
        when the latest of those reads began."""
        readings: list[Reading] = []
        state = self._store.read()
        if state is not None:
            readings.append(self.processes.read(at, self._seen(state)))
            readings.append(hang_reading(at, stopped(self._pids, self._postmasters)))
        if (asked := self._switchover.fresh()) is not None:
            self.roles.request(asked[0], asked[1])
        if (found := self._patroni.fresh()) is not None and found[1] is not None:
            members = parse_members(found[1])
            running = [m.name for m in members if m.role == "leader" and m.state == "running"]
            self._leader = running[0] if len(running) == 1 else None
            readings.append(self.roles.read(found[0], members))
        if (health := self._etcd.fresh()) is not None:
            readings.append(etcd_reading(health[0], health[1]))
        if (silent := self._reach.fresh()) is not None:
            readings.append(reach_reading(*silent))
        serving = True
        if self._sites is not None:
            if (sites := self._site[0].fresh()) is not None:
                readings.append(self._sites.read(*sites))
            serving = self._sites.promoted
        for proxy, prober in zip(self.spec.haproxies, self._paths, strict=True):
            if (reached := prober.fresh()) is not None and serving:
                readings.append(path_reading(reached[0], proxy.name, reached[1]))
        for app, prober in zip(self.spec.apps, self._apps, strict=True):
            if (ready := prober.fresh()) is not None and serving:
                readings.append(app_reading(ready[0], app.name, ready[1]))
        if (archived := self._archive.fresh()) is not None and archived[1] is not None:
            readings.append(archive_reading(archived[0], *archived[1]))
        readings += self._edges.readings(at)
        failures = self._backups.new()
        if failures:
            readings.append(backup_reading(at, failures))
        if self._issued is not None and self._track is not None:
            self._track.record(*self._issued.drain())
        issued: dict[str, float] = {}
        read_at: float | None = None
        for app, counter in zip(
            self.spec.apps if self._metrics else (), self._metrics, strict=True
        ):
            if (total := counter.fresh()) is not None and total[1] is not None:
                issued[app.name] = total[1]
                read_at = max(read_at or total[0], total[0])
        return readings, issued, read_at
