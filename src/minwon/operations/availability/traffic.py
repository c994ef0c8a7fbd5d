"""What each channel served, one minute at a time: the facts availability is measured from.

Pure: standard library only. Each app instance counts its own requests per channel
(counter, kiosk, online, verification) and writes one ``ChannelMinute`` per channel and
minute; the availability report (``minwon report availability``, ``/ops``) reads them
back together with the incidents. A row is the instance's whole count for that minute, so
writing it again (a retry, or the unfinished current minute written once more) replaces
it and never adds to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

# The four channels a citizen meets the city through; every request belongs to one.
CHANNELS: tuple[str, ...] = ("counter", "kiosk", "online", "verification")

# Upper bounds (milliseconds) of the latency buckets; one more bucket counts the rest.
LATENCY_BOUNDS_MS: tuple[int, ...] = (25, 50, 100, 200, 300, 500, 750, 1000, 2000, 5000)


def empty_latency() -> tuple[int, ...]:
    """Returns a latency histogram with no request in it."""
    return (0,) * (len(LATENCY_BOUNDS_MS) + 1)


def minute_of(at: float) -> float:
    """Returns the start of the UTC minute holding wall time `at` (seconds)."""
    return float(int(at // 60) * 60)


@dataclass(frozen=True)
class ChannelMinute:
    """One instance's requests on one channel in one minute.

    ``ok`` counts answers below 500 (a citizen's mistake is no outage), ``failed`` the
    5xx answers and the requests that ended without one; ``issued`` the documents issued
    (a subset of ``ok``); ``latency`` counts every request by its time to answer, bucket
    ``i`` holding those up to ``LATENCY_BOUNDS_MS[i]`` and the last one the slower rest.
    """

    instance: str
    minute: float  # start of the minute, wall seconds, a multiple of 60
    channel: str
    ok: int = 0
    failed: int = 0
    issued: int = 0
    latency: tuple[int, ...] = field(default_factory=empty_latency)

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")
        if self.minute % 60:
            raise ValueError("minute must be the start of a minute")
        if len(self.latency) != len(LATENCY_BOUNDS_MS) + 1:
            raise ValueError("latency must have one count per bucket")
        if min(self.ok, self.failed, self.issued, *self.latency) < 0:
            raise ValueError("counts are never negative")

    @property
    def requests(self) -> int:
        """Returns every request counted, answered or not."""
        return self.ok + self.failed


class TrafficLog(Protocol):
    """Keeps the minutes every instance wrote."""

    def record(self, minutes: Sequence[ChannelMinute]) -> None:
        """Stores each minute, replacing the row of the same instance, minute and channel."""
        ...

    def between(self, start: float, end: float) -> list[ChannelMinute]:
        """Returns the minutes starting in [start, end), oldest first."""
        ...


class MemoryTrafficLog:
    """The traffic log in memory (tests, and a process with no database)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, float, str], ChannelMinute] = {}

    def record(self, minutes: Sequence[ChannelMinute]) -> None:
        """Stores each minute, replacing an earlier row with the same key."""
        for m in minutes:
            self._rows[(m.instance, m.minute, m.channel)] = m

    def between(self, start: float, end: float) -> list[ChannelMinute]:
        """Returns the minutes starting in [start, end), oldest first."""
        rows = [m for m in self._rows.values() if start <= m.minute < end]
        return sorted(rows, key=lambda m: (m.minute, m.channel, m.instance))
