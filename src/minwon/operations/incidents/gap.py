"""The issuance gap a fault caused, from the apps' own counters (pure).

Each round the watcher reads every app's issuance counter (``/metrics``). A counter that
goes down is an app that started again from zero: what it counts from then on is added to
the total, which therefore only grows. The gap of an incident is the longest time the
total stopped increasing around it: from the last increase before (or at) a moment
inside the incident to the first increase after it.

Counters read over HTTP date issuance only as finely as the reads (a busy app answers
late). Where the issuances themselves can be read with the time each was issued
(``issued.py``), ``record`` takes those times; from then on they alone say when issuance
increased, and counters no longer do.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import deque
from dataclasses import dataclass, field
from itertools import pairwise

KEEP_SECONDS = 900.0  # increases older than this are forgotten
# An incident whose start had no issuance in the LOOKBACK before it had no traffic to
# interrupt: its gap is not measured (None), rather than "as long as the quiet".
LOOKBACK_SECONDS = 30.0


@dataclass
class IssuanceTrack:
    """The total of every app's issuance counter over time: when it increased."""

    _counters: dict[str, float] = field(default_factory=dict)
    _total: float = 0.0
    _increases: deque[float] = field(default_factory=deque)
    _last_sample: float | None = None
    exact: bool = False  # issuance times recorded: counters no longer date increases

    def record(self, times: list[float], at: float | None) -> None:
        """Adds the times documents were issued, as the apps recorded them, found by a
        look that began at `at` (None: no look succeeded yet)."""
        if at is None:
            return
        self.exact = True
        for t in times:
            if t >= at - KEEP_SECONDS:
                insort(self._increases, t)
        self._last_sample = max(self._last_sample or at, at)
        self._forget(at)

    def _forget(self, at: float) -> None:
        while self._increases and self._increases[0] < at - KEEP_SECONDS:
            self._increases.popleft()

    def sample(self, at: float, counters: dict[str, float]) -> None:
        """Adds one round's counters (app name → value; apps that did not answer are
        left out and keep their last value)."""
        if self.exact:
            return  # dated by the issuance times themselves
        before = self._total
        for name, value in counters.items():
            last = self._counters.get(name)
            if last is None:
                delta = 0.0  # first sight: a base, not an increase
            elif value < last:
                delta = value  # started again from zero
            else:
                delta = value - last
            self._counters[name] = value
            self._total += delta
        if self._total > before:
            self._increases.append(at)
        self._last_sample = at
        self._forget(at)

    def gap(self, start: float, end: float) -> tuple[float | None, bool]:
        """Returns (the longest stall overlapping [start, end], final?).

        Final once issuance increased after `end`; until then the stall is counted up to
        the last sample. None (final) when nothing was issued in the lookback before
        `start`: there was no traffic to stop.
        """
        times = list(self._increases)
        before = [t for t in times[: bisect_right(times, start)] if t >= start - LOOKBACK_SECONDS]
        if not before:
            return None, True
        inside = times[bisect_right(times, start) : bisect_right(times, end)]
        after = times[bisect_left(times, end) :]
        after = [t for t in after if t > end]
        points = [before[-1], *inside]
        final = bool(after)
        last = after[0] if after else (self._last_sample or end)
        points.append(last)
        longest = max(b - a for a, b in pairwise(points))
        return round(longest, 3), final
