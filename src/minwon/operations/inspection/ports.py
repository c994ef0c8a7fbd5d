"""What the checks read, as small ports and plain facts.

The checks (``checks_*.py``) are functions of these values; ``local.py`` and
``files.py`` read them from a running local cluster, pgBackRest, the database and the
host, and ``fake.py`` hands them out as a test sets them. A port method may raise: the
runner grades that check 위험 with the error. ``None`` from a method means the part is
not there (미구성), never "fine".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from minwon.operations.backup.info import StanzaInfo, VerifyReport
from minwon.operations.cluster.status import ClusterStatus
from minwon.operations.dr.link import Lag
from minwon.operations.inspection.model import Thresholds


@dataclass(frozen=True)
class EtcdFacts:
    """One etcd member's ``/v3/maintenance/status``: whether it answered, its database
    size in bytes and the leader it knows (None: no answer)."""

    name: str
    answered: bool
    db_size: int | None = None
    leader: str | None = None


@dataclass(frozen=True)
class BackendServer:
    """One server of a load-balancer path's backend (HAProxy ``show stat``)."""

    backend: str
    name: str
    status: str  # UP, DOWN, MAINT, DRAIN, ...

    @property
    def up(self) -> bool:
        """Returns True if the path sends it new work."""
        return self.status.startswith("UP")


@dataclass(frozen=True)
class PathFacts:
    """One HAProxy path: does a session through it reach the primary; its servers
    (None: the runtime API did not answer)."""

    name: str
    reaches_primary: bool
    servers: tuple[BackendServer, ...] | None


@dataclass(frozen=True)
class AppFacts:
    """One app instance: ready (``/readyz`` 200) and the build it runs."""

    name: str
    ready: bool
    build: str


@dataclass(frozen=True)
class ClockReading:
    """One node's clock against this machine's: offset in seconds (None: no answer),
    and the resolution of the reading (an HTTP Date header: 1 s)."""

    source: str
    offset_seconds: float | None
    resolution: float = 0.0


@dataclass(frozen=True)
class NodeConfig:
    """One database node's configuration as compared between nodes: its rendered files
    with node-specific values replaced by placeholders, PostgreSQL's effective settings
    (``pg_settings``, node-specific ones left out) and Patroni's ``GET /config``."""

    name: str
    files: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] | None = None
    dcs: dict[str, Any] | None = None


@dataclass(frozen=True)
class ArchiverFacts:
    """The primary's ``pg_stat_archiver`` and the segment it writes now."""

    current_segment: str
    last_archived: str | None
    last_archived_at: datetime | None
    failed_count: int
    last_failed: str | None
    last_failed_at: datetime | None


@dataclass(frozen=True)
class DrillFacts:
    """The ``recovery_drills`` record: the last drill that passed and the last of any
    outcome (None: never)."""

    last_passed_at: datetime | None
    last_at: datetime | None
    last_outcome: str | None
    last_detail: str = ""


@dataclass(frozen=True)
class RehearsalRecord:
    """One failover rehearsal's record (a fault scenario's JSON)."""

    fault: str
    started_at: datetime
    healed: bool
    lost: int
    duplicated: int
    source: str


@dataclass(frozen=True)
class SecondSiteFacts:
    """The second site's link journal: the lag it shows now and its newest sample."""

    lag: Lag
    newest_sample_at: float | None  # wall time
    following: bool


@dataclass(frozen=True)
class DiskUsage:
    """Free space and inodes of the file system holding `path` (what it holds: `role`)."""

    path: str
    role: str
    free_percent: float
    inode_free_percent: float | None  # None: the file system has no inode limit
    free_bytes: int


@dataclass(frozen=True)
class CertFacts:
    """One certificate file and its private key, as read from disk."""

    role: str
    path: str
    subject: str
    not_before: datetime
    not_after: datetime
    key_path: str | None  # None: no key expected beside it
    key_present: bool
    key_matches: bool
    key_private: bool  # not readable by group or others
    issued_by: str | None = None  # the role of the certificate that signed it, if verified
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class FontFacts:
    """One font file: present and a TrueType font that parses."""

    path: str
    ok: bool
    error: str = ""


class ClusterView(Protocol):
    """The running database cluster, its paths and apps."""

    def status(self) -> ClusterStatus: ...
    def etcd(self) -> tuple[EtcdFacts, ...]: ...
    def database_size(self) -> int: ...
    def paths(self) -> tuple[PathFacts, ...]: ...
    def apps(self) -> tuple[AppFacts, ...]: ...
    def clocks(self) -> tuple[ClockReading, ...]: ...
    def configs(self) -> tuple[NodeConfig, ...]: ...
    def commissioned_at(self) -> datetime: ...


class RecordsView(Protocol):
    """Backups, the WAL archive, drills, rehearsals and the second site."""

    def backup_info(self) -> StanzaInfo | None: ...
    def backup_verify(self) -> VerifyReport | None: ...
    def archiver(self) -> ArchiverFacts | None: ...
    def drills(self) -> DrillFacts: ...
    def rehearsals(self) -> tuple[RehearsalRecord, ...] | None: ...
    def second_site(self) -> SecondSiteFacts | None: ...


class HostView(Protocol):
    """The host's disks, fonts, catalog and key material."""

    def disks(self) -> tuple[DiskUsage, ...]: ...
    def fonts(self, paths: tuple[str, ...]) -> tuple[FontFacts, ...]: ...
    def catalog(self) -> int: ...  # the number of document types; raises when invalid
    def signing_material(self) -> tuple[CertFacts, ...] | None: ...  # root, signing
    def tls(self, paths: tuple[str, ...]) -> tuple[CertFacts, ...]: ...


@dataclass(frozen=True)
class Context:
    """What every check is given: the ports, the thresholds, and the moment it runs."""

    cluster: ClusterView
    records: RecordsView
    host: HostView
    thresholds: Thresholds
    now: datetime
