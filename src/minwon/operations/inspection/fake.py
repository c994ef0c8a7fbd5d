"""The inspection's ports in memory, healthy until a test breaks one part.

Every attribute is a plain value a test replaces (``fake.cluster.etcd_members = ...``);
a method whose attribute is an exception raises it, and ``hang`` makes a method block
(the runner's timeout). Shipped beside the real adapters (``local.py``, ``files.py``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from minwon.operations.backup.info import BackupRecord, StanzaInfo, VerifyReport
from minwon.operations.cluster.status import (
    AppStatus,
    ClusterStatus,
    EtcdStatus,
    HAProxyStatus,
    MemberStatus,
    SupervisorStatus,
)
from minwon.operations.dr.link import Lag
from minwon.operations.inspection.ports import (
    AppFacts,
    ArchiverFacts,
    BackendServer,
    CertFacts,
    ClockReading,
    DiskUsage,
    DrillFacts,
    EtcdFacts,
    FontFacts,
    NodeConfig,
    PathFacts,
    RehearsalRecord,
    SecondSiteFacts,
)

NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)


def _member(name: str, role: str, lag: int = 0) -> MemberStatus:
    state = "running" if role == "leader" else "streaming"
    return MemberStatus(name, role, state, 3, lag, role == "quorum_standby", attached=True)


def healthy_status() -> ClusterStatus:
    """Returns the status of a healthy 3-node cluster with 2 paths and 2 apps."""
    return ClusterStatus(
        members=(
            _member("pg1", "leader"),
            _member("pg2", "quorum_standby"),
            _member("pg3", "quorum_standby"),
        ),
        etcd=tuple(EtcdStatus(f"e{i}", f"http://127.0.0.1:{2379 + i}", True) for i in (1, 2, 3)),
        haproxy=(HAProxyStatus("1", 5001, True), HAProxyStatus("2", 5002, True)),
        apps=(AppStatus("1", "http://127.0.0.1:8001", True), AppStatus("2", "u", True)),
        expected_members=3,
        supervisor=SupervisorStatus(running=True, pid=1, last_round_seconds=0.3),
    )


def _backup(label: str, stopped: datetime) -> BackupRecord:
    return BackupRecord(
        label, "full", stopped - timedelta(seconds=5), stopped, 1, 1, 1, 1, None, "a", "b", False
    )


def _cert(role: str, now: datetime, days: float = 365) -> CertFacts:
    return CertFacts(
        role=role,
        path=f"/keys/{role}.pem",
        subject=f"CN={role}",
        not_before=now - timedelta(days=10),
        not_after=now + timedelta(days=days),
        key_path=f"/keys/{role}.key.pem",
        key_present=True,
        key_matches=True,
        key_private=True,
    )


class _Hangs:
    def __init__(self) -> None:
        self.hang: set[str] = set()
        self.released = threading.Event()

    def _get(self, name: str) -> Any:
        if name in self.hang:
            self.released.wait(60)
        value = getattr(self, name + "_value")
        if isinstance(value, BaseException):
            raise value
        return value


@dataclass
class _ClusterValues:
    status_value: Any = field(default_factory=healthy_status)
    etcd_value: Any = field(
        default_factory=lambda: tuple(EtcdFacts(f"e{i}", True, 20_000_000, "7") for i in (1, 2, 3))
    )
    database_size_value: Any = 40 * 1024 * 1024
    paths_value: Any = field(
        default_factory=lambda: tuple(
            PathFacts(
                n,
                True,
                (
                    BackendServer("postgres_primary", "pg1", "UP"),
                    BackendServer("minwon_apps", "app1", "UP"),
                    BackendServer("minwon_apps", "app2", "UP"),
                ),
            )
            for n in ("1", "2")
        )
    )
    apps_value: Any = field(
        default_factory=lambda: (AppFacts("1", True, "0.1+abc"), AppFacts("2", True, "0.1+abc"))
    )
    clocks_value: Any = field(
        default_factory=lambda: (
            ClockReading("postgres:pg1", 0.01),
            ClockReading("postgres:pg2", -0.02),
            ClockReading("etcd:e1", 0.6, resolution=1.0),
        )
    )
    configs_value: Any = field(
        default_factory=lambda: tuple(
            NodeConfig(n, {"patroni.yml": "a: 1\n"}, {"max_connections": "100"}, {"ttl": 20})
            for n in ("pg1", "pg2", "pg3")
        )
    )
    commissioned_at_value: Any = NOW - timedelta(days=2)


class FakeCluster(_ClusterValues, _Hangs):
    """ClusterView: a healthy cluster until a test changes a ``*_value``."""

    def __init__(self) -> None:
        _ClusterValues.__init__(self)
        _Hangs.__init__(self)

    def status(self) -> ClusterStatus:
        return self._get("status")  # type: ignore[no-any-return]

    def etcd(self) -> tuple[EtcdFacts, ...]:
        return self._get("etcd")  # type: ignore[no-any-return]

    def database_size(self) -> int:
        return self._get("database_size")  # type: ignore[no-any-return]

    def paths(self) -> tuple[PathFacts, ...]:
        return self._get("paths")  # type: ignore[no-any-return]

    def apps(self) -> tuple[AppFacts, ...]:
        return self._get("apps")  # type: ignore[no-any-return]

    def clocks(self) -> tuple[ClockReading, ...]:
        return self._get("clocks")  # type: ignore[no-any-return]

    def configs(self) -> tuple[NodeConfig, ...]:
        return self._get("configs")  # type: ignore[no-any-return]

    def commissioned_at(self) -> datetime:
        return self._get("commissioned_at")  # type: ignore[no-any-return]

    def with_members(self, **changes: Any) -> None:
        """Replaces fields of member `name` (``name="pg2", state="stopped"``)."""
        name = changes.pop("name")
        status: ClusterStatus = self.status_value
        members = tuple(replace(m, **changes) if m.name == name else m for m in status.members)
        self.status_value = replace(status, members=members)


@dataclass
class _RecordValues:
    backup_info_value: Any = field(
        default_factory=lambda: StanzaInfo(
            "minwon", 0, "ok", "1", "9", (_backup("20261204-020000F", NOW - timedelta(hours=1)),)
        )
    )
    backup_verify_value: Any = field(
        default_factory=lambda: VerifyReport(ok=True, status="ok", problems=(), text="status: ok")
    )
    archiver_value: Any = field(
        default_factory=lambda: ArchiverFacts(
            "000000030000000000000010",
            "00000003000000000000000F",
            NOW - timedelta(seconds=30),
            0,
            None,
            None,
        )
    )
    drills_value: Any = field(
        default_factory=lambda: DrillFacts(
            NOW - timedelta(days=3), NOW - timedelta(days=3), "passed"
        )
    )
    rehearsals_value: Any = None
    second_site_value: Any = None


class FakeRecords(_RecordValues, _Hangs):
    """RecordsView: a fresh backup and drill, no second site, no rehearsal store."""

    def __init__(self) -> None:
        _RecordValues.__init__(self)
        _Hangs.__init__(self)

    def backup_info(self) -> StanzaInfo | None:
        return self._get("backup_info")  # type: ignore[no-any-return]

    def backup_verify(self) -> VerifyReport | None:
        return self._get("backup_verify")  # type: ignore[no-any-return]

    def archiver(self) -> ArchiverFacts | None:
        return self._get("archiver")  # type: ignore[no-any-return]

    def drills(self) -> DrillFacts:
        return self._get("drills")  # type: ignore[no-any-return]

    def rehearsals(self) -> tuple[RehearsalRecord, ...] | None:
        return self._get("rehearsals")  # type: ignore[no-any-return]

    def second_site(self) -> SecondSiteFacts | None:
        return self._get("second_site")  # type: ignore[no-any-return]


def second_site_facts(bytes_behind: int, *, sampled_ago: float = 0.5) -> SecondSiteFacts:
    """Returns a following second site `bytes_behind`, last sampled `sampled_ago` s ago."""
    at = NOW.timestamp() - sampled_ago
    return SecondSiteFacts(Lag(True, bytes_behind, 0.0, at, at, True), at, True)


@dataclass
class _HostValues:
    disks_value: Any = field(
        default_factory=lambda: (DiskUsage("/var/tmp", "데이터", 60.0, 80.0, 10**10),)
    )
    fonts_value: Any = None  # None: every path asked for is fine
    catalog_value: Any = 5
    signing_material_value: Any = field(
        default_factory=lambda: (_cert("root", NOW, 3650), _cert("signing", NOW, 365))
    )
    tls_value: Any = ()


class FakeHost(_HostValues, _Hangs):
    """HostView: roomy disks, fonts there, a catalog of 5, certificates a year valid."""

    def __init__(self) -> None:
        _HostValues.__init__(self)
        _Hangs.__init__(self)

    def disks(self) -> tuple[DiskUsage, ...]:
        return self._get("disks")  # type: ignore[no-any-return]

    def fonts(self, paths: tuple[str, ...]) -> tuple[FontFacts, ...]:
        given = self._get("fonts")
        return given if given is not None else tuple(FontFacts(p, True) for p in paths)

    def catalog(self) -> int:
        return self._get("catalog")  # type: ignore[no-any-return]

    def signing_material(self) -> tuple[CertFacts, ...] | None:
        return self._get("signing_material")  # type: ignore[no-any-return]

    def tls(self, paths: tuple[str, ...]) -> tuple[CertFacts, ...]:
        given = self._get("tls")
        return given or tuple(_cert(f"TLS {p}", NOW, 200) for p in paths)


def certificate(role: str, *, days_left: float, now: datetime = NOW, **changes: Any) -> CertFacts:
    """Returns a certificate `days_left` days from expiry (negative: expired)."""
    return replace(_cert(role, now, days_left), **changes)
