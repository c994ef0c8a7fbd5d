"""The second site beside a local cluster: ``minwon dr up|down|status|promote|rejoin``.

The second site lives in ``<primary root>/site2`` (its own launcher folder, state and
supervisor): one etcd member, one or two database nodes run as a Patroni standby cluster,
one HAProxy path (its own database path, its app path, and the link to the primary site)
and one app instance. Its leader's first copy comes over the link (``pg_basebackup``); it
then streams, and fetches what it cannot stream from its own pgBackRest repository, which
the primary site archives every WAL segment to and backs up into (``repo2``).

Nothing here talks to a port the two sites did not start; every process is started and
stopped by PID through the sites' launchers.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from minwon.operations.cluster import balancer
from minwon.operations.cluster.balancer import ServerState
from minwon.operations.cluster.errors import ClusterError, ClusterNotFoundError
from minwon.operations.cluster.fence_mark import clear, mark
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.cluster.spec import ClusterSpec, Credentials
from minwon.operations.cluster.topology import SiteShape
from minwon.operations.dr import fence, link, promotion
from minwon.operations.dr.link import Lag, LinkJournal

SITE_DIR = "site2"
LINK_BACKEND = "site_link"
STATUS_FILE = "dr-status.json"
PROMOTIONS_FILE = "promotions.jsonl"
ENDPOINTS_FILE = "endpoints.json"


@dataclass(frozen=True)
class DrPolicy:
    """How the second site's supervisor acts on a lost primary site: promote on its own
    once nothing of the primary site has answered for `auto_promote_after` seconds (0:
    never, an operator promotes), if the lag is known and at most `max_lag_bytes`."""

    auto_promote_after: float = 0.0
    max_lag_bytes: int = promotion.DEFAULT_MAX_LAG_BYTES

    def to_dict(self) -> dict[str, float]:
        """Returns the policy as state.json keeps it."""
        return {"auto_promote_after": self.auto_promote_after, "max_lag_bytes": self.max_lag_bytes}

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> DrPolicy:
        """Returns the policy saved with ``to_dict`` (defaults for what is missing)."""
        return cls(
            auto_promote_after=float(data.get("auto_promote_after", 0.0)),
            max_lag_bytes=int(data.get("max_lag_bytes", promotion.DEFAULT_MAX_LAG_BYTES)),
        )


@dataclass(frozen=True)
class DrStatus:
    """Where the second site stands against the primary site, at `checked_at`."""

    checked_at: float
    following: bool  # still a standby site (not promoted)
    lag: Lag
    primary_issuances: int | None  # counted on the primary site (None: never reached)
    site_issuances: int | None  # counted on this site's leader
    link_up: bool | None  # the link's servers are in service (None: unknown)
    # When the primary site's count was taken: now, or by the last status that reached
    # it (a lost primary site's last count is what its loss is measured against).
    primary_counted_at: float | None = None

    @property
    def missing_issuances(self) -> int | None:
        """Returns how many issuances the primary site holds that this site does not."""
        if self.primary_issuances is None or self.site_issuances is None:
            return None
        return max(0, self.primary_issuances - self.site_issuances)

    def to_dict(self) -> dict[str, Any]:
        """Returns the status as JSON-ready values."""
        data = asdict(self)
        data["missing_issuances"] = self.missing_issuances
        return data


@dataclass(frozen=True)
class Promotion:
    """What ``promote`` did: the verdict, how long the promotion took, the endpoints."""

    verdict: promotion.Verdict
    fenced_by_us: bool
    seconds: float | None
    endpoints: list[str] = field(default_factory=list)
    status_before: dict[str, Any] | None = None


def count_issuances(url: str, timeout: int = 2) -> int | None:
    """Returns ``count(*)`` of issuances at the SQLAlchemy `url` (None: no answer)."""
    engine = create_engine(url, connect_args={"connect_timeout": timeout})
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM issuances")).scalar_one())
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


class SecondSite:
    """The second site of the local cluster in `primary_root`."""

    def __init__(self, primary_root: Path, root: Path | None = None) -> None:
        self.primary_root = Path(primary_root).absolute()
        self.root = Path(root).absolute() if root else self.primary_root / SITE_DIR

    @property
    def cluster(self) -> LocalCluster:
        """Returns the second site's launcher (its state read afresh)."""
        return LocalCluster(self.root)

    @property
    def primary(self) -> LocalCluster:
        """Returns the primary site's launcher (its state read afresh)."""
        return LocalCluster(self.primary_root)

    @property
    def exists(self) -> bool:
        """Returns True if the second site has been started (its state is there)."""
        return self.cluster.exists

    # -- up and down --------------------------------------------------------------------

    def up(
        self, *, nodes: int = 2, policy: DrPolicy | None = None, seed_backup: bool = True
    ) -> dict[str, float]:
        """Starts the second site following the running primary site, then makes the
        primary site archive to the second site's repository and (with `seed_backup`)
        take a full backup into it; returns the time of each step."""
        primary = self.primary
        if not primary.exists or not primary.pids():
            raise ClusterNotFoundError(f"no running primary site in {self.primary_root}")
        if self.exists and self.cluster.pids():
            raise ClusterError(f"the second site is already running from {self.root}")
        site = LocalCluster(self.root, shape=SiteShape(primary.spec, str(self.primary_root), nodes))
        self.root.mkdir(parents=True, exist_ok=True)
        for name in (link.LINK_FILE, STATUS_FILE, ENDPOINTS_FILE):  # another site's samples
            (self.root / name).unlink(missing_ok=True)
        began = time.monotonic()
        site.up()
        timings = {f"site_{k}": v for k, v in site.timings.items()}
        timings["site_total"] = round(time.monotonic() - began, 2)
        site.set_dr_policy((policy or DrPolicy()).to_dict())
        began = time.monotonic()
        try:
            primary.set_second_repo(site.spec.backup_repo)
            backrest = primary.pgbackrest()
            backrest.stanza_create()
            timings["repository"] = round(time.monotonic() - began, 2)
            if seed_backup:
                began = time.monotonic()
                backrest.backup("full", repo=2)
                timings["seed_backup"] = round(time.monotonic() - began, 2)
        except BaseException:
            self.down()
            raise
        return timings

    def down(self) -> None:
        """Stops the second site by PID and removes its data; the primary site stops
        archiving to its repository first (a missing repository would hold up its WAL)."""
        primary = self.primary
        if primary.exists and primary.spec.second_repo:
            primary.set_second_repo("")
        self.cluster.down()

    # -- the link -------------------------------------------------------------------------

    def _link_servers(self, state: ServerState) -> None:
        spec = self.cluster.spec
        if spec.standby is None:
            raise ClusterError("this site does not follow another")
        for proxy in spec.haproxies:
            for node in spec.standby.upstream:
                balancer.set_state(proxy.admin_socket, LINK_BACKEND, node.name, state)
                if state is ServerState.MAINT:  # cut what streams now, not only new ones
                    balancer.command(
                        proxy.admin_socket, f"shutdown sessions server {LINK_BACKEND}/{node.name}"
                    )

    def cut_link(self) -> None:
        """Cuts the link to the primary site (its servers out of service, the stream cut)."""
        try:
            self._link_servers(ServerState.MAINT)
        except (balancer.BalancerError, OSError) as exc:
            raise ClusterError(f"링크를 끊지 못했습니다: {exc}") from exc

    def restore_link(self) -> None:
        """Puts the link back in service."""
        try:
            self._link_servers(ServerState.READY)
        except (balancer.BalancerError, OSError) as exc:
            raise ClusterError(f"링크를 잇지 못했습니다: {exc}") from exc

    def link_up(self) -> bool | None:
        """Returns True if any link server is in service, None if HAProxy does not say."""
        spec = self.cluster.spec
        try:
            found = [
                not s.status.startswith("MAINT")
                for p in spec.haproxies
                for s in balancer.servers(p.admin_socket, LINK_BACKEND)
            ]
        except (balancer.BalancerError, OSError):
            return None
        return any(found)

    # -- status ---------------------------------------------------------------------------

    def status(self) -> DrStatus:
        """Samples both sites now (also into the link journal) and counts issuances on
        each; saves the result as the last status (``dr-status.json``)."""
        site = self.cluster
        spec = site.spec
        now = time.time()
        samples = LinkJournal(self.root).append(link.sample(spec, now=now))
        lag = link.lag(samples, now=now)
        primary_count: int | None = None
        counted_at: float | None = None
        primary = self.primary
        if primary.exists and lag.primary_answering:
            primary_count = count_issuances(primary.database_url())
            counted_at = now if primary_count is not None else None
        if primary_count is None:  # the last count that reached it, if any
            last = self.last_status() or {}
            primary_count = last.get("primary_issuances")
            counted_at = last.get("primary_counted_at")
        leader = _leader_url(spec, site.credentials)
        status = DrStatus(
            checked_at=now,
            following=samples[-1].standby,
            lag=lag,
            primary_issuances=primary_count,
            site_issuances=count_issuances(leader) if leader else None,
            link_up=self.link_up() if spec.standby else None,
            primary_counted_at=counted_at,
        )
        _write_json(self.root / STATUS_FILE, status.to_dict())
        return status

    def last_status(self) -> dict[str, Any] | None:
        """Returns the last status saved by ``status`` (None: never taken)."""
        try:
            data = json.loads((self.root / STATUS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    # -- promotion ------------------------------------------------------------------------

    def promote(
        self,
        *,
        accept_loss: bool = False,
        fence_primary: bool = False,
        max_lag_bytes: int = promotion.DEFAULT_MAX_LAG_BYTES,
        by: str = "operator",
        record_refusal: bool = True,
    ) -> Promotion:
        """Checks, then promotes the second site: refused (``verdict.allowed`` False, nothing
        changed) unless the primary site is fenced and the lag is known and within
        `max_lag_bytes` or `accept_loss`. With `fence_primary` the primary site is first
        stopped by PID (its data kept). On success the primary site's folder is marked
        fenced, the promotion recorded and the new endpoints written."""
        site = self.cluster
        spec = site.spec
        fenced_by_us = False
        if fence_primary and self.primary.exists and self.primary.pids():
            self.primary.down(keep=True)
            fenced_by_us = True
        now = time.time()
        samples = LinkJournal(self.root).append(link.sample(spec, now=now))
        lag = link.lag(samples, now=now)
        report = fence.check(fence.site_spec(self.primary_root), root=self.primary_root)
        verdict = promotion.decide(
            report, lag, max_lag_bytes=max_lag_bytes, accept_loss=accept_loss
        )
        before = self.last_status()
        if not verdict.allowed:
            if record_refusal:
                self._record(verdict, None, by, before)
            return Promotion(verdict, fenced_by_us, None, status_before=before)
        if not samples[-1].standby:
            raise ClusterError("이 사이트는 이미 승격되었습니다")
        mark(self.primary_root, by=str(self.root), reason=f"second site promoted ({verdict.code})")
        seconds = promotion.promote(spec, site.credentials)
        endpoints = self.endpoints()
        _write_json(self.root / ENDPOINTS_FILE, {"endpoints": endpoints, "at": time.time()})
        self._record(verdict, seconds, by, before)
        return Promotion(verdict, fenced_by_us, round(seconds, 3), endpoints, before)

    def endpoints(self) -> list[str]:
        """Returns where clients go now: this site's app path first, then its apps."""
        spec = self.cluster.spec
        return [p.app_url for p in spec.haproxies if p.app_port] + [a.url for a in spec.apps]

    def _record(
        self,
        verdict: promotion.Verdict,
        seconds: float | None,
        by: str,
        before: dict[str, Any] | None,
    ) -> None:
        line = {
            "at": time.time(),
            "by": by,
            "verdict": verdict.to_dict(),
            "seconds": seconds,
            "missing_issuances_reported": (before or {}).get("missing_issuances"),
        }
        with open(self.root / PROMOTIONS_FILE, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")

    def promotions(self) -> list[dict[str, Any]]:
        """Returns every promotion attempt recorded, oldest first."""
        try:
            lines = (self.root / PROMOTIONS_FILE).read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        return [json.loads(line) for line in lines if line.strip()]

    # -- the old site comes back ----------------------------------------------------------

    def rejoin(self, *, nodes: int = 2) -> SecondSite:
        """Makes the old primary site the standby of the promoted one, as a fresh copy:
        its data is removed (by ``down``), it starts as a standby site following this one,
        and its fence mark goes once it streams. Returns the new pair (this site now
        primary, the old one second)."""
        old = self.primary
        if old.exists and old.pids():
            old.down(keep=True)  # whatever still runs of it, by PID, before anything else
        if old.exists:
            old.down(keep=False)
        for name in (STATUS_FILE, link.LINK_FILE):
            (self.primary_root / name).unlink(missing_ok=True)
        clear(self.primary_root)
        swapped = SecondSite(self.root, self.primary_root)
        try:
            swapped.up(nodes=nodes)
        except BaseException:
            mark(self.primary_root, by=str(self.root), reason="rejoin failed")
            raise
        return swapped


def _leader_url(spec: ClusterSpec, credentials: Credentials) -> str | None:
    for node in spec.nodes:
        data = link._get(f"{node.rest_url}/patroni", 0.5)
        if data and data.get("role") in {"standby_leader", "primary", "master"}:
            return spec.member_url(node.name, credentials.app_password)
    return None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(data, ensure_ascii=False, indent=2))
    os.replace(tmp, path)
