"""What scenario steps act on: the cluster, the load, the ledger, the clock, and notes.

Each port has a real implementation (``LocalCluster``, ``IssuanceLoad``, ``SqlLedger``,
the system clock) and a fake one (``operations/cluster/fake.py``), so the same steps run
against real processes in scenario tests and against a model in unit tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from minwon.operations.clock import WaitClock
from minwon.operations.cluster.backend import ClusterBackend
from minwon.operations.cluster.faults import PauseTarget, ProcessRef
from minwon.operations.cluster.status import ClusterStatus
from minwon.operations.load import Ack, LoadResult
from minwon.operations.release.ports import Releaser, ReleaseSummary
from minwon.operations.scenarios.split_brain import Commit, RoleSample

T = TypeVar("T")


class StepFailedError(Exception):
    """A step's check did not hold; the message says what was seen instead."""


class Load(Protocol):
    """Steady issuance traffic whose acknowledgements can be counted while it runs."""

    def start(self) -> None:
        """Starts issuing."""
        ...

    def stop(self, timeout: float = 120.0) -> LoadResult:
        """Stops issuing, waits for requests in flight, returns every ack and failure."""
        ...

    def acks_since(self, moment: float) -> int:
        """Returns how many issuances were acknowledged after monotonic time `moment`."""
        ...

    def acknowledged(self) -> list[Ack]:
        """Returns the issuances acknowledged so far, while the load goes on."""
        ...


class Ledger(Protocol):
    """Reads the app's tables on one PostgreSQL member."""

    def audit(self, url: str, numbers: Sequence[str]) -> tuple[int, int]:
        """Returns (numbers missing, issuances or fees written twice) on that member."""
        ...

    def issued_times(self, url: str, numbers: Sequence[str]) -> list[float]:
        """Returns when each of `numbers` was issued (``issued_at``, wall seconds), as
        that member holds them; those it lacks are left out."""
        ...

    def is_primary(self, url: str) -> bool | None:
        """Returns True if that member takes writes, False if in recovery, None if down."""
        ...

    def acknowledges_commit(self, url: str, wait: float) -> bool:
        """Returns True if a commit sent to that member comes back committed within
        `wait` seconds (a woken old primary must not: its standbys follow another)."""
        ...


class NetworkPaths(Protocol):
    """Two network paths from the kiosks to the app instances, and the kiosks' balancer
    (``operations/network/site.py``; the fake in ``cluster/fake_paths.py``)."""

    @property
    def paths(self) -> tuple[str, ...]:
        """Returns the path names (``a``, ``b``)."""
        ...

    def drop_large_packets(self, path: str) -> None:
        """Makes `path` drop packets of 1,400 bytes and more, both ways."""
        ...

    def lift(self, path: str) -> None:
        """Removes the fault from `path`."""
        ...

    def echoes(self, path: str, size: int, timeout: float) -> bool:
        """Returns True if `size` bytes come back over `path` within `timeout` (0: the
        small ``GET /healthz`` of a stock health check)."""
        ...

    def balancer_servers(self) -> dict[str, bool]:
        """Returns each balancer server (``app1-a``: app 1 over path a) and whether it
        takes traffic."""
        ...

    def endpoints(self) -> list[str]:
        """Returns the base URLs a kiosk client tries, as seen from the kiosk network."""
        ...

    def enter_kiosks(self) -> None:
        """Moves the calling thread into the kiosk network (load worker threads)."""
        ...


class Watcher(Protocol[T]):
    """Something that looks at the cluster on its own until stopped: what it saw so far."""

    def seen(self) -> list[T]:
        """Returns what it has seen so far, while it goes on."""
        ...

    def stop(self) -> list[T]:
        """Stops it (idempotent); returns everything it saw."""
        ...


class HostFaults(Protocol):
    """The cluster's database hosts on a network that can be partitioned, and what a
    partition scenario watches them with (``scenarios/partition_hosts.py``: namespaces;
    the fake in ``network/fake.py``)."""

    def isolate(self, member: str) -> None:
        """Cuts `member`'s host off from every other host and the app tier."""
        ...

    def heal(self, member: str) -> None:
        """Ends the partition of `member`'s host (nothing if it is not cut off)."""
        ...

    def watch_roles(self) -> Watcher[RoleSample]:
        """Starts sampling every member's role, a few times a second, from a vantage
        point no partition cuts (the nodes' Unix sockets)."""
        ...

    def write_on_host(self, member: str) -> Watcher[Commit]:
        """Starts a client on `member`'s own host that commits row after row to its
        PostgreSQL and records each attempt (a client a partition leaves with it)."""
        ...

    def rows_missing(self, member: str, rows: Sequence[int]) -> int:
        """Returns how many of the writer's `rows` `member`'s PostgreSQL lacks."""
        ...


@dataclass(frozen=True)
class Settings:
    """How long a scenario warms up, settles and waits (generous: bounds are asserted)."""

    warmup: float = 3.0
    settle: float = 4.0
    resume_timeout: float = 60.0
    heal_timeout: float = 120.0


@dataclass
class ScenarioContext:
    """The ports a scenario uses, and what its steps have seen so far."""

    cluster: ClusterBackend
    new_load: Callable[[], Load]
    ledger: Ledger
    clock: WaitClock
    settings: Settings = field(default_factory=Settings)
    network: NetworkPaths | None = None
    releaser: Releaser | None = None
    release: ReleaseSummary | None = None
    hosts: HostFaults | None = None
    roles: Watcher[RoleSample] | None = None  # started by a given step of a partition
    writer: Watcher[Commit] | None = None
    began: float | None = None
    before: ClusterStatus | None = None
    load: Load | None = None
    result: LoadResult | None = None
    started_at: str | None = None
    injected: float | None = None
    old_primary: str | None = None
    killed: list[ProcessRef] = field(default_factory=list)
    paused: list[PauseTarget] = field(default_factory=list)
    resumed: float | None = None
    ended: float | None = None
    new_primary: str | None = None
    lost: int = 0
    duplicated: int = 0
    figures: dict[str, float] = field(default_factory=dict)  # step figures for the record

    def fault_begins(self) -> None:
        """Marks this moment as the fault's injection (for gaps and resume times)."""
        self.injected = self.clock.monotonic()
        now = self.clock.now()
        self.started_at = now.isoformat(timespec="seconds")
        self.figures["injected_at"] = round(now.timestamp(), 3)  # wall: incidents compare

    def paths(self) -> NetworkPaths:
        """Returns the network paths; StepFailedError if the scenario has none."""
        if self.network is None:
            raise StepFailedError("this scenario runs without network paths")
        return self.network

    def releases(self) -> Releaser:
        """Returns the releaser; StepFailedError if the scenario has none."""
        if self.releaser is None:
            raise StepFailedError("this scenario runs without releases")
        return self.releaser

    def host_faults(self) -> HostFaults:
        """Returns the partitionable hosts; StepFailedError if the scenario has none."""
        if self.hosts is None:
            raise StepFailedError("this scenario runs without hosts in networks of their own")
        return self.hosts

    def running_load(self) -> Load:
        """Returns the load started by a given step; StepFailedError if there is none."""
        if self.load is None:
            raise StepFailedError("no load is running")
        return self.load

    def fault_time(self) -> float:
        """Returns when the fault was injected; StepFailedError if it was not."""
        if self.injected is None:
            raise StepFailedError("no fault was injected")
        return self.injected

    def previous_primary(self) -> str:
        """Returns the primary before the fault; StepFailedError if it is unknown."""
        if self.old_primary is None:
            raise StepFailedError("the primary before the fault is unknown")
        return self.old_primary
