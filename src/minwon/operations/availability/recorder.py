"""One app instance's requests per channel and minute, held until the traffic log has them.

Pure: standard library only, thread-safe. The web layer calls ``record`` once per request
(web/traffic.py); the flusher (flusher.py) takes ``unwritten`` minutes to the
``TrafficLog`` and reports back with ``written``. A minute stays in memory until a write
that saw all of it succeeded and the minute is over: the current minute is written again
and again (a row replaces the one before: traffic.py), and minutes the database missed
wait for it, up to ``keep_seconds`` (older ones are dropped and counted in ``dropped``).

Besides the minutes the recorder keeps running totals since the process started, for the
Prometheus exposition (counters never go down), and the issuance gap.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from minwon.operations.availability.traffic import (
    CHANNELS,
    LATENCY_BOUNDS_MS,
    ChannelMinute,
    minute_of,
)

KEEP_SECONDS = 24 * 3600.0  # minutes the database missed are kept this long, then dropped


@dataclass
class _Counts:
    ok: int = 0
    failed: int = 0
    issued: int = 0
    latency: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BOUNDS_MS) + 1))
    version: int = 0  # bumped by every request counted in it
    written: int = -1  # the version the traffic log last acknowledged


@dataclass(frozen=True)
class ChannelTotals:
    """One channel's requests since the process started (Prometheus counters)."""

    ok: int
    failed: int
    buckets: tuple[int, ...]  # per LATENCY_BOUNDS_MS bucket and the slower rest, not cumulative
    seconds: float  # the sum of every request's time to answer


def bucket_of(seconds: float) -> int:
    """Returns the latency bucket of a request that took `seconds` to answer."""
    return bisect_left(LATENCY_BOUNDS_MS, seconds * 1000.0)


class ChannelRecorder:
    """Counts one instance's requests per channel and minute (in memory, thread-safe)."""

    def __init__(
        self,
        instance: str,
        *,
        clock: Callable[[], float] = time.time,
        keep_seconds: float = KEEP_SECONDS,
    ) -> None:
        self.instance = instance
        self._clock = clock
        self._keep = keep_seconds
        self._lock = threading.Lock()
        self._minutes: dict[tuple[float, str], _Counts] = {}
        self._totals = {c: _Counts() for c in CHANNELS}
        self._seconds = dict.fromkeys(CHANNELS, 0.0)
        self.dropped = 0  # minutes given up after keep_seconds without a write
        # The issuance gap: when this instance last issued, whether its latest attempt
        # failed, and when the failures since its last success began.
        self._last_issued: float | None = None
        self._failing_since: float | None = None

    def now(self) -> float:
        """Returns the recorder's wall time (seconds)."""
        return self._clock()

    def record(
        self,
        channel: str,
        *,
        ok: bool,
        seconds: float,
        issued: bool = False,
        at: float | None = None,
    ) -> None:
        """Counts one request on `channel` that ended at `at` (now) after `seconds`:
        answered below 500 (`ok`) or not, and whether it issued a document."""
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        when = self._clock() if at is None else at
        bucket = bucket_of(seconds)
        with self._lock:
            counts = self._minutes.get((minute_of(when), channel))
            if counts is None:
                counts = self._minutes[(minute_of(when), channel)] = _Counts()
            for c in (counts, self._totals[channel]):
                if ok:
                    c.ok += 1
                else:
                    c.failed += 1
                c.issued += int(issued and ok)
                c.latency[bucket] += 1
                c.version += 1
            self._seconds[channel] += seconds

    def issuance(self, *, succeeded: bool, at: float | None = None) -> None:
        """Notes an attempt to issue that succeeded, or failed on our side (5xx)."""
        when = self._clock() if at is None else at
        with self._lock:
            if succeeded:
                self._last_issued = when
                self._failing_since = None
            elif self._failing_since is None:
                self._failing_since = when

    def issuance_gap(self, at: float | None = None) -> float:
        """Returns 0 while the latest issuance attempt succeeded (or there was none);
        otherwise the seconds since the last successful issuance, or since the first
        failed attempt if this instance never issued."""
        when = self._clock() if at is None else at
        with self._lock:
            if self._failing_since is None:
                return 0.0
            since = self._last_issued if self._last_issued is not None else self._failing_since
            return max(0.0, when - since)

    def unwritten(self) -> list[ChannelMinute]:
        """Returns the minutes the traffic log does not have as they are now, oldest first
        (minutes older than ``keep_seconds`` are dropped here)."""
        oldest = minute_of(self._clock() - self._keep)
        with self._lock:
            for key in [k for k in self._minutes if k[0] < oldest]:
                del self._minutes[key]
                self.dropped += 1
            return [
                self._row(minute, channel, c)
                for (minute, channel), c in sorted(self._minutes.items())
                if c.version != c.written
            ]

    def written(self, minutes: Sequence[ChannelMinute]) -> None:
        """Notes that the traffic log stored `minutes` (as ``unwritten`` returned them): a
        finished minute with nothing counted since is forgotten, the rest written again."""
        current = minute_of(self._clock())
        with self._lock:
            for m in minutes:
                counts = self._minutes.get((m.minute, m.channel))
                if counts is None or counts.ok + counts.failed != m.requests:
                    continue  # counted again since: the next write carries it
                if m.minute < current:
                    del self._minutes[(m.minute, m.channel)]
                else:
                    counts.written = counts.version

    def held(self) -> int:
        """Returns how many minute rows are held in memory (written or not)."""
        with self._lock:
            return len(self._minutes)

    def totals(self) -> dict[str, ChannelTotals]:
        """Returns every channel's requests since the process started."""
        with self._lock:
            return {
                channel: ChannelTotals(c.ok, c.failed, tuple(c.latency), self._seconds[channel])
                for channel, c in self._totals.items()
            }

    def _row(self, minute: float, channel: str, c: _Counts) -> ChannelMinute:
        return ChannelMinute(
            instance=self.instance,
            minute=minute,
            channel=channel,
            ok=c.ok,
            failed=c.failed,
            issued=c.issued,
            latency=tuple(c.latency),
        )
