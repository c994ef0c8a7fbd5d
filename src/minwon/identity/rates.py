"""Rate limits counted for all instances together, in fixed windows, in the shared database.

A limit that only one process knows is no limit behind a load balancer, so every count
lives in the database. Writing one row per request would make the public verification
endpoint cost a durable write per lookup (and a flood a flood of writes), so buckets
with large limits are counted in batches: each process adds its hits up locally and
writes the sum when it reaches a twentieth of the limit, when it is older than a second,
or when the count nears the limit. Small limits (sign-in attempts) are written through,
hit by hit, and hold exactly. With k instances a batched limit can be exceeded by at most
(k - 1) × limit / 20 within a window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minwon.identity.ports import IdentityUnitOfWorks

BATCH_FRACTION = 20  # a batch holds at most limit / 20 hits
FLUSH_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """A hit's outcome: the window's count as far as this process knows, and its end."""

    hits: int
    limit: int
    retry_after: int

    @property
    def allowed(self) -> bool:
        return self.hits <= self.limit


@dataclass(slots=True)
class _Pending:
    window: int
    known: int = 0  # the shared count when this process last wrote or read it
    unwritten: int = 0
    since: float = 0.0


def batch_size(limit: int) -> int:
    """Returns how many hits a process may hold back for ``limit`` (0: write each hit)."""
    size = limit // BATCH_FRACTION
    return size if size >= 2 else 0


@dataclass
class RateCounter:
    """Counts hits per bucket; ``now`` is wall-clock seconds, ``monotonic`` paces flushes."""

    uows: IdentityUnitOfWorks
    now: Callable[[], float]
    monotonic: Callable[[], float] = time.monotonic
    _pending: dict[str, _Pending] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, bucket: str, limit: int, *, window_seconds: int = 60) -> Verdict:
        """Counts one hit in ``bucket`` and returns whether it is within ``limit``."""
        moment = int(self.now())
        window = moment - moment % window_seconds
        retry_after = window + window_seconds - moment
        batch = batch_size(limit)
        with self._lock:
            pending = self._pending.get(bucket)
            if pending is None or pending.window != window:
                # Hits still held for a finished window no longer matter to anyone.
                pending = self._pending[bucket] = _Pending(window, since=self.monotonic())
            pending.unwritten += 1
            estimate = pending.known + pending.unwritten
            due = (
                pending.unwritten >= batch
                or estimate > limit - batch
                or self.monotonic() - pending.since >= FLUSH_SECONDS
            )
            if not due:
                return Verdict(estimate, limit, retry_after)
            count, pending.unwritten = pending.unwritten, 0
            pending.since = self.monotonic()
        try:
            total = self._write(bucket, window, count)
        except Exception:
            with self._lock:
                pending.unwritten += count
            raise
        with self._lock:
            pending.known = max(pending.known, total)
            return Verdict(total + pending.unwritten, limit, retry_after)

    def _write(self, bucket: str, window: int, count: int) -> int:
        with self.uows() as uow:
            total = uow.identity.hit(bucket, window, count)
            if total == count:
                uow.identity.prune_windows(window - 3600)
            uow.commit()
        return total
