"""When each document was issued, as the apps recorded it: the issuance gap's own clock.

An app's ``/metrics`` counter says how many documents it issued by the time it answered;
an app left serving alone under load answers late (seconds), so counters read that way
date issuance only as finely as the slowest read (issue 14: a 0.62 s gap measured as
3.0 s). Each issuance row carries ``issued_at``, the app's own wall time when it issued
the document, committed with it: reading the rows that are new since the last look
dates every issuance exactly, however late the read. Probe documents are left out.

``IssuedFeed.poll`` runs in a prober's thread (over the app's own database connection,
through the HAProxy paths); the watcher's round takes what it found with ``drain``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from minwon.adapters.tables import issuances

# Rows commit in a different order than their issued_at (a slow request started first):
# each look re-reads this far back and skips the numbers it has seen.
OVERLAP_SECONDS = 10.0
FIRST_LOOK_SECONDS = 60.0  # how far back the first look reads


class IssuedFeed:
    """The issuance times not yet handed to the round, read from the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._pending: list[float] = []
        self._polled_at: float | None = None
        self._since: datetime | None = None
        self._seen: deque[tuple[datetime, str]] = deque()
        self._seen_numbers: set[str] = set()

    def poll(self) -> None:
        """Reads the issuances new since the last look (raises if the database fails)."""
        began = time.time()
        since = self._since or datetime.fromtimestamp(began - FIRST_LOOK_SECONDS, UTC)
        query = (
            select(issuances.c.number, issuances.c.issued_at)
            .where(issuances.c.issued_at > since - timedelta(seconds=OVERLAP_SECONDS))
            .where(issuances.c.probe.is_(False))
            .order_by(issuances.c.issued_at)
        )
        with self.engine.connect() as conn:
            rows = [(str(r.number), r.issued_at) for r in conn.execute(query)]
        fresh = [(n, at) for n, at in rows if n not in self._seen_numbers]
        for number, at in fresh:
            self._seen.append((at, number))
            self._seen_numbers.add(number)
        latest = max((at for _, at in rows), default=since)
        self._since = max(since, latest)
        horizon = self._since - timedelta(seconds=2 * OVERLAP_SECONDS)
        while self._seen and self._seen[0][0] < horizon:
            self._seen_numbers.discard(self._seen.popleft()[1])
        with self._lock:
            self._pending += [at.timestamp() for _, at in fresh]
            self._polled_at = began

    def drain(self) -> tuple[list[float], float | None]:
        """Returns the issuance times found since the last drain, and when the last look
        that succeeded began (None: none yet)."""
        with self._lock:
            found, self._pending = self._pending, []
            return found, self._polled_at
