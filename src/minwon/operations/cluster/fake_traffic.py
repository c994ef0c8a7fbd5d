"""The issuance load and the database check that go with ``FakeCluster``.

``FakeLoad`` issues one document per tick while the model takes writes; ``FakeLedger``
checks the committed numbers as ``SqlLedger`` checks the tables, and answers whether a
member would acknowledge a commit, as a real one is asked after a hung primary wakes.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from minwon.operations.cluster.errors import ClusterError
from minwon.operations.load import Ack, LoadResult

if TYPE_CHECKING:
    from minwon.operations.cluster.fake import FakeCluster


@dataclass
class FakeLoad:
    """Issues one document every `interval` simulated seconds while the cluster takes writes."""

    cluster: FakeCluster
    interval: float = 0.1
    result: LoadResult = field(default_factory=LoadResult)
    _next_at: float = 0.0
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def start(self) -> None:
        """Starts issuing at the next tick."""
        self._next_at = self.cluster.clock.monotonic() + self.interval
        self.cluster.clock.listen(self._tick)

    def stop(self, timeout: float = 120.0) -> LoadResult:
        """Stops issuing; returns every acknowledgement."""
        self.cluster.clock.unlisten(self._tick)
        return self.result

    def acks_since(self, moment: float) -> int:
        """Returns how many issuances were acknowledged after `moment`."""
        return sum(1 for a in self.result.acks if a.at > moment)

    def acknowledged(self) -> list[Ack]:
        """Returns the issuances acknowledged so far."""
        return list(self.result.acks)

    def _tick(self, now: float) -> None:
        while self._next_at <= now:
            if self.cluster.writable():
                n = next(self._numbers)
                number = f"FAKE-{n:06d}"
                self.cluster.commit(number)
                at = self._next_at  # answered at once: sent and acknowledged in one tick
                self.result.acks.append(Ack(f"key-{n}", number, at, 1, False, began=at))
            self._next_at += self.interval


@dataclass
class FakeLedger:
    """Checks the fake cluster's committed numbers, as ``SqlLedger`` checks the tables."""

    cluster: FakeCluster

    def audit(self, url: str, numbers: Sequence[str]) -> tuple[int, int]:
        """Returns (numbers missing, numbers stored twice)."""
        running, _ = self.cluster.member_state(url)
        if not running:
            raise ClusterError(f"{url} is not running")
        stored = self.cluster.rows
        return len(set(numbers) - set(stored)), len(stored) - len(set(stored))

    def issued_times(self, url: str, numbers: Sequence[str]) -> list[float]:
        """Returns nothing: the fake keeps no issuance times (no gap is figured from it)."""
        return []

    def is_primary(self, url: str) -> bool | None:
        """Returns True for the running leader, False for a replica, None if down."""
        running, leader = self.cluster.member_state(url)
        return leader if running else None

    def acknowledges_commit(self, url: str, wait: float) -> bool:
        """Returns True if that member would acknowledge a commit: the running leader."""
        running, leader = self.cluster.member_state(url)
        return running and leader and self.cluster.writable()
