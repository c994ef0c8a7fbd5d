"""Claims a request gave up on while the database was away, to be freed once it is back.

A request that cannot reach the database retries for a moment and then answers 503; its
claim on the idempotency key stays in the table, in flight, held by a request that no
longer runs. The kiosk sends the same request again, usually to another server, which
would wait for the claim's whole lease. So the server remembers what it gave up on, and
its heartbeat frees those claims (only while still held by that request) as soon as the
database answers again (``services.release_abandoned``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Abandoned:
    """One claim its request gave up on: whose, which key, and the request that held it."""

    principal: str
    key: str
    holder: str


class AbandonedClaims:
    """The claims this process gave up on and has not freed yet (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._claims: set[Abandoned] = set()

    def add(self, claim: Abandoned) -> None:
        with self._lock:
            self._claims.add(claim)

    def take(self) -> list[Abandoned]:
        """Returns every claim waiting to be freed and forgets them (``add`` puts back)."""
        with self._lock:
            taken, self._claims = list(self._claims), set()
        return taken

    def __len__(self) -> int:
        with self._lock:
            return len(self._claims)
