"""Network faults as models on a simulated clock, for unit tests of the runbooks.

What F4's steps see, without namespaces (``FakePaths``): a path that drops large packets
still answers a small GET, loses every large echo, and the balancer marks its servers
down 2.5 s after the fault (two failed 1 s checks) and up again 1 s after the repair (two
passing checks), as measured on the real site (``site.py``). What P1's steps see
(``FakeHosts``): the fake cluster's hosts partitioned (``FakeCluster.isolate``), its
members' roles sampled every 0.1 s and a writer on one host committing every 0.2 s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from minwon.operations.clock import WaitClock
from minwon.operations.cluster.fake import FakeCluster
from minwon.operations.network.faults import LARGE_PACKET_BYTES
from minwon.operations.scenarios.split_brain import Commit, RoleSample

DOWN_AFTER = 2.5
UP_AFTER = 1.0


class FakePaths:
    """Paths ``a`` and ``b`` to `apps` app instances, behind a balancer."""

    def __init__(self, clock: WaitClock, apps: int = 2) -> None:
        self.clock = clock
        self.apps = apps
        self._dropping: dict[str, float] = {}  # path -> since when
        self._lifted: dict[str, float] = {}  # path -> when repaired

    @property
    def paths(self) -> tuple[str, ...]:
        """Returns the path names."""
        return ("a", "b")

    def drop_large_packets(self, path: str) -> None:
        """Starts dropping large packets on `path`."""
        self._dropping[path] = self.clock.monotonic()
        self._lifted.pop(path, None)

    def lift(self, path: str) -> None:
        """Repairs `path`."""
        if self._dropping.pop(path, None) is not None:
            self._lifted[path] = self.clock.monotonic()

    def echoes(self, path: str, size: int, timeout: float) -> bool:
        """Small requests always cross; large ones not while the path drops them."""
        return size < LARGE_PACKET_BYTES or path not in self._dropping

    def balancer_servers(self) -> dict[str, bool]:
        """Returns ``app<n>-<path>`` and whether the balancer sends it traffic."""
        now = self.clock.monotonic()

        def up(path: str) -> bool:
            if path in self._dropping:
                return now - self._dropping[path] < DOWN_AFTER
            return now - self._lifted.get(path, float("-inf")) >= UP_AFTER

        return {f"app{n}-{p}": up(p) for n in range(1, self.apps + 1) for p in self.paths}

    def endpoints(self) -> list[str]:
        """Returns nothing real: the fake load issues against the fake cluster."""
        return []

    def enter_kiosks(self) -> None:
        """Nothing to enter in a model."""


@dataclass
class FakeRoleWatch:
    """Samples the fake cluster's roles every `interval` simulated seconds."""

    cluster: FakeCluster
    interval: float = 0.1
    samples: list[RoleSample] = field(default_factory=list)
    _next_at: float = 0.0

    def __post_init__(self) -> None:
        self._next_at = self.cluster.clock.monotonic()
        self.cluster.clock.listen(self._tick)
        self._tick(self._next_at)

    def _tick(self, now: float) -> None:
        while self._next_at <= now:
            roles = tuple(sorted(self.cluster.roles().items()))
            self.samples.append(RoleSample(self._next_at, roles))
            self._next_at += self.interval

    def seen(self) -> list[RoleSample]:
        """Returns the samples so far."""
        return list(self.samples)

    def stop(self) -> list[RoleSample]:
        """Stops sampling; returns every sample."""
        self.cluster.clock.unlisten(self._tick)
        return self.seen()


@dataclass
class FakeHostWriter:
    """Commits on `member`'s host every `interval` simulated seconds."""

    cluster: FakeCluster
    member: str
    interval: float = 0.2
    commits: list[Commit] = field(default_factory=list)
    _next_at: float = 0.0

    def __post_init__(self) -> None:
        self._next_at = self.cluster.clock.monotonic() + self.interval
        self.cluster.clock.listen(self._tick)

    def _tick(self, now: float) -> None:
        while self._next_at <= now:
            if self.cluster.commits_on_host(self.member):
                row = len(self.cluster.host_rows) + 1
                self.cluster.host_rows.append(row)
                self.commits.append(Commit(self._next_at, self._next_at, row))
            else:
                self.commits.append(Commit(self._next_at))
            self._next_at += self.interval

    def seen(self) -> list[Commit]:
        """Returns every attempt so far."""
        return list(self.commits)

    def stop(self) -> list[Commit]:
        """Stops writing; returns every attempt."""
        self.cluster.clock.unlisten(self._tick)
        return self.seen()


@dataclass
class FakeHosts:
    """The fake cluster's hosts, partitionable, with the watchers P1 runs."""

    cluster: FakeCluster

    def isolate(self, member: str) -> None:
        """Cuts `member`'s host off (``FakeCluster.isolate``)."""
        self.cluster.isolate(member)

    def heal(self, member: str) -> None:
        """Ends the partition of `member`'s host."""
        self.cluster.heal(member)

    def watch_roles(self) -> FakeRoleWatch:
        """Starts sampling every member's role."""
        return FakeRoleWatch(self.cluster)

    def write_on_host(self, member: str) -> FakeHostWriter:
        """Starts a writer on `member`'s host."""
        return FakeHostWriter(self.cluster, member)

    def rows_missing(self, member: str, rows: Sequence[int]) -> int:
        """Returns how many of `rows` the cluster does not hold (replicated everywhere)."""
        return len(set(rows) - set(self.cluster.host_rows))
