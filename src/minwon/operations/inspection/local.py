"""The inspection's ports read from a running local cluster (``LocalCluster``).

Reads only: Patroni's and etcd's HTTP APIs, HAProxy's runtime API (``show stat``), each
node's PostgreSQL as the superuser (settings, clock, archiver, sizes), the recovery-drill
record in the app database, pgBackRest ``info``/``verify`` with the primary's
configuration, the second site's link journal and the files the launcher rendered.
The cluster's status is taken once per inspection and shared by the checks that read it.
"""

from __future__ import annotations

import csv
import io
import os
import threading
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from minwon.operations import plain_http
from minwon.operations.backup.info import StanzaInfo, VerifyReport
from minwon.operations.cluster import balancer
from minwon.operations.cluster.fleet import ClusterFleet
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.cluster.probes import as_superuser
from minwon.operations.cluster.spec import PatroniNode
from minwon.operations.cluster.status import ClusterStatus
from minwon.operations.dr.link import LinkJournal, lag
from minwon.operations.inspection.drift import node_config
from minwon.operations.inspection.files import HostFiles
from minwon.operations.inspection.model import Thresholds
from minwon.operations.inspection.ports import (
    AppFacts,
    ArchiverFacts,
    BackendServer,
    ClockReading,
    DrillFacts,
    EtcdFacts,
    NodeConfig,
    PathFacts,
    RehearsalRecord,
    SecondSiteFacts,
)
from minwon.operations.inspection.rehearsals import read_rehearsals

SITE_DIR = "site2"  # dr/site.py's; read here without importing the second site's launcher
TIMEOUT = 2.0


class LocalClusterView:
    """ClusterView over the local cluster at `cluster.root`."""

    def __init__(self, cluster: LocalCluster) -> None:
        self.cluster = cluster
        self._lock = threading.Lock()
        self._status: ClusterStatus | None = None

    def status(self) -> ClusterStatus:
        """Returns the cluster's status, read once and shared."""
        with self._lock:
            if self._status is None:
                self._status = self.cluster.status()
            return self._status

    def _leader(self) -> PatroniNode:
        leader = self.status().leader
        if leader is None:
            raise RuntimeError("리더가 하나가 아닙니다")
        return self.cluster.spec.node(leader)

    def _query(self, node: PatroniNode, sql: str, dbname: str = "postgres") -> list[Any]:
        with as_superuser(
            self.cluster.spec,
            self.cluster.credentials,
            node,
            statement_timeout_ms=5000,
            dbname=dbname,
        ) as conn:
            return list(conn.execute(sql).fetchall())

    def etcd(self) -> tuple[EtcdFacts, ...]:
        """Returns each member's ``/v3/maintenance/status`` (POST, as etcd's gateway asks)."""
        found = []
        for member in self.cluster.spec.etcd:
            try:
                answer = plain_http.post(
                    f"{member.client_url}/v3/maintenance/status", json={}, timeout=TIMEOUT
                )
                data = answer.json() if answer.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                data = None
            if not isinstance(data, dict):
                found.append(EtcdFacts(member.name, False))
                continue
            size = data.get("dbSize")
            found.append(
                EtcdFacts(
                    member.name,
                    True,
                    db_size=int(size) if size is not None else None,
                    leader=str(data.get("leader")) if data.get("leader") else None,
                )
            )
        return tuple(found)

    def database_size(self) -> int:
        """Returns ``pg_database_size`` of the app database, on the leader."""
        name = self.cluster.spec.app_database
        rows = self._query(self._leader(), f"SELECT pg_database_size('{name}')")
        return int(rows[0][0])

    def paths(self) -> tuple[PathFacts, ...]:
        """Returns each HAProxy path: reaches the primary (the status) and its servers."""
        reached = {h.name: h.reaches_primary for h in self.status().haproxy}
        found = []
        for proxy in self.cluster.spec.haproxies:
            servers: tuple[BackendServer, ...] | None
            try:
                text = balancer.command(proxy.admin_socket, "show stat").lstrip("# ")
                servers = tuple(
                    BackendServer(row["pxname"], row["svname"], row.get("status", ""))
                    for row in csv.DictReader(io.StringIO(text))
                    if row.get("svname") not in ("FRONTEND", "BACKEND", None)
                    and row.get("pxname") != "stats"
                )
                servers = servers or None
            except balancer.BalancerError:
                servers = None
            found.append(PathFacts(proxy.name, reached.get(proxy.name, False), servers))
        return tuple(found)

    def apps(self) -> tuple[AppFacts, ...]:
        """Returns each app instance: ready, and the build it runs (``state.json``'s, marked
        with the process's own Python when that is another one)."""
        fleet = ClusterFleet(self.cluster)
        ready = {a.name: a.ready for a in self.status().apps}
        found = []
        for app in self.cluster.spec.apps:
            build = fleet.build_of(app.name)
            process = fleet.process_python(app.name)
            # The process itself (/proc), not only what state.json assigned it.
            label = build.id if process in (None, build.python) else f"{build.id}?{process}"
            found.append(AppFacts(app.name, ready.get(app.name, False), label))
        return tuple(found)

    def clocks(self) -> tuple[ClockReading, ...]:
        """Returns each node's PostgreSQL clock and each etcd member's HTTP Date against
        this machine's clock (midpoint of the request)."""
        found = []
        for node in self.cluster.spec.nodes:
            began = time.time()
            try:
                rows = self._query(node, "SELECT extract(epoch FROM clock_timestamp())::float8")
                offset: float | None = float(rows[0][0]) - (began + time.time()) / 2
            except psycopg.Error:
                offset = None
            found.append(ClockReading(f"postgres:{node.name}", offset))
        for member in self.cluster.spec.etcd:
            began = time.time()
            try:
                answer = plain_http.get(f"{member.client_url}/health", timeout=TIMEOUT)
                said = parsedate_to_datetime(answer.headers["date"]).timestamp()
                offset = said - (began + time.time()) / 2
            except (httpx.HTTPError, KeyError, ValueError, TypeError):
                offset = None
            found.append(ClockReading(f"etcd:{member.name}", offset, resolution=1.0))
        return tuple(found)

    def configs(self) -> tuple[NodeConfig, ...]:
        """Returns each node's files, effective settings and DCS configuration."""
        spec = self.cluster.spec
        return tuple(
            node_config(spec, node, self._settings(node), self._dcs(node)) for node in spec.nodes
        )

    def _settings(self, node: PatroniNode) -> dict[str, str] | None:
        try:
            rows = self._query(
                node, "SELECT name, setting FROM pg_settings WHERE source <> 'default'"
            )
        except psycopg.Error:
            return None
        return {str(name): str(value) for name, value in rows}

    def _dcs(self, node: PatroniNode) -> dict[str, Any] | None:
        try:
            data = plain_http.get(f"{node.rest_url}/config", timeout=TIMEOUT).json()
        except (httpx.HTTPError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def commissioned_at(self) -> datetime:
        """Returns when the cluster was started (``state.json``)."""
        return datetime.fromtimestamp(self.cluster._require_state().started_at, tz=UTC)


class LocalRecords:
    """RecordsView over the local cluster: pgBackRest, the archiver, drills, rehearsals
    and the second site (``<root>/site2``)."""

    def __init__(self, view: LocalClusterView, rehearsal_dirs: tuple[str, ...] = ()) -> None:
        self.view = view
        self.cluster = view.cluster
        self.rehearsal_dirs = rehearsal_dirs

    def _backups(self) -> bool:
        return bool(self.cluster.spec.backup_repo)

    def backup_info(self) -> StanzaInfo | None:
        """Returns ``pgbackrest info`` (None: no repository configured)."""
        return self.cluster.pgbackrest().info() if self._backups() else None

    def backup_verify(self) -> VerifyReport | None:
        """Returns ``pgbackrest verify``'s report (None: no repository configured)."""
        return self.cluster.pgbackrest().verify() if self._backups() else None

    def archiver(self) -> ArchiverFacts | None:
        """Returns the primary's ``pg_stat_archiver`` (None: not archiving)."""
        if not self._backups():
            return None
        rows = self.view._query(
            self.view._leader(),
            "SELECT pg_walfile_name(pg_current_wal_lsn()), last_archived_wal,"
            " last_archived_time, failed_count, last_failed_wal, last_failed_time"
            " FROM pg_stat_archiver",
        )
        current, archived, archived_at, failed, failed_wal, failed_at = rows[0]
        return ArchiverFacts(
            str(current), archived, archived_at, int(failed), failed_wal, failed_at
        )

    def drills(self) -> DrillFacts:
        """Returns the last drill that passed and the last of any outcome."""
        spec = self.cluster.spec
        leader = self.view._leader()
        exists = self.view._query(
            leader, "SELECT to_regclass('recovery_drills') IS NOT NULL", spec.app_database
        )
        if not exists[0][0]:
            return DrillFacts(None, None, None)
        passed = self.view._query(
            leader,
            "SELECT max(finished_at) FROM recovery_drills WHERE outcome = 'passed'",
            spec.app_database,
        )
        last = self.view._query(
            leader,
            "SELECT coalesce(finished_at, started_at), outcome, detail FROM recovery_drills"
            " ORDER BY started_at DESC LIMIT 1",
            spec.app_database,
        )
        when, outcome, detail = last[0] if last else (None, None, "")
        return DrillFacts(_aware(passed[0][0]), _aware(when), outcome, str(detail or ""))

    def rehearsals(self) -> tuple[RehearsalRecord, ...] | None:
        """Returns the rehearsal records under ``<root>/rehearsals`` (where ``minwon
        cluster rehearse`` writes them: a local cluster always has that store, empty until
        the first rehearsal) and the configured folders."""
        folders = [self.cluster.root / "rehearsals", *map(Path, self.rehearsal_dirs)]
        return read_rehearsals([f for f in folders if f.is_dir()]) or ()

    def second_site(self) -> SecondSiteFacts | None:
        """Returns the second site's lag from its link journal (None: no second site)."""
        site = self.cluster.root / SITE_DIR
        if not (site / "state.json").is_file():
            return None
        samples = LinkJournal(site).read()
        newest = max(samples, key=lambda s: s.at, default=None)
        return SecondSiteFacts(
            lag=lag(samples, now=time.time()),
            newest_sample_at=newest.at if newest else None,
            following=newest.standby if newest else True,
        )


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def local_ports(
    cluster: LocalCluster, thresholds: Thresholds
) -> tuple[LocalClusterView, LocalRecords, HostFiles]:
    """Returns the three ports read from `cluster` and this host, as `thresholds` point
    them (keys folder, catalog, rehearsal folders)."""
    view = LocalClusterView(cluster)
    spec = cluster.spec
    keys = Path(thresholds.keys_dir) if thresholds.keys_dir else Path(spec.app_data_dir) / "keys"
    catalog = thresholds.catalog_dir or os.environ.get("MINWON_CATALOG_DIR", "")
    roots = {
        "클러스터 폴더": str(cluster.root),
        "데이터": str(cluster.run_dir),
        "백업 저장소": spec.backup_repo,
        "앱 데이터": spec.app_data_dir,
        **{f"{node.name} 데이터": node.data_dir for node in spec.nodes},
    }
    host = HostFiles(roots=roots, keys_dir=keys, catalog_dir=Path(catalog) if catalog else None)
    return view, LocalRecords(view, thresholds.rehearsal_dirs), host
