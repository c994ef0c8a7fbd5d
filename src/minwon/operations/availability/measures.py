"""The arithmetic of the availability report: intervals of outage, latency percentiles.

Pure: standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from minwon.operations.availability.traffic import LATENCY_BOUNDS_MS

Interval = tuple[float, float]


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Returns the intervals merged where they overlap or touch (time counted once)."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def clip(intervals: Iterable[Interval], start: float, end: float) -> list[Interval]:
    """Returns the parts of the intervals inside [start, end)."""
    return [(max(a, start), min(b, end)) for a, b in intervals if min(b, end) > max(a, start)]


def length(intervals: Iterable[Interval]) -> float:
    """Returns the time the intervals cover (merged first)."""
    return sum(b - a for a, b in union(intervals))


def merge_histograms(histograms: Iterable[Sequence[int]]) -> tuple[int, ...]:
    """Returns the bucket-wise sum of latency histograms."""
    columns = tuple(sum(bucket) for bucket in zip(*histograms, strict=True))
    return columns or (0,) * (len(LATENCY_BOUNDS_MS) + 1)


def percentile(histogram: Sequence[int], q: float) -> float | None:
    """Returns the `q`-quantile (0 < q ≤ 1) in milliseconds, interpolated linearly inside
    its bucket (bucket i spans LATENCY_BOUNDS_MS[i-1] to LATENCY_BOUNDS_MS[i], the first
    from 0); ``math.inf`` when it falls in the overflow bucket (slower than the last bound,
    shown as "> 5 s"), None when the histogram is empty."""
    total = sum(histogram)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for i, count in enumerate(histogram):
        if count and seen + count >= rank:
            if i == len(LATENCY_BOUNDS_MS):
                return math.inf
            lower = 0.0 if i == 0 else float(LATENCY_BOUNDS_MS[i - 1])
            upper = float(LATENCY_BOUNDS_MS[i])
            return round(lower + (upper - lower) * (rank - seen) / count, 3)
        seen += count
    return math.inf  # unreachable: the last bucket holding requests reaches the total
