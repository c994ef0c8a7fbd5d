"""What every context's storage port shares: the unit of work, and retrying one.

A unit of work is one transaction that rolls back unless ``commit()`` is called. Adapters
raise ``errors.Unavailable`` for a failure a retry on a fresh connection may cure (a lost
or refused connection during a failover, a server shutting down, a busy SQLite file), so
use cases can retry without knowing which database runs underneath.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self, TypeVar

import structlog

from minwon.errors import NotReady, Unavailable

log = structlog.get_logger(__name__)
T = TypeVar("T")
MAX_PAUSE = 0.25  # seconds between tries at most


class UnitOfWork(Protocol):
    """One transaction; leaving the block without ``commit()`` rolls it back."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def ping(self) -> None:
        """Asks the database to answer now with the schema this code expects; raises
        Unavailable if it does not answer, NotReady if its schema is missing or older."""
        ...


def retry_transient(fn: Callable[[], T], *, seconds: float, first_pause: float = 0.1) -> T:
    """Calls ``fn`` again after ``Unavailable``, for at most ``seconds``; then raises it.
    ``NotReady`` (no database, an older schema) is raised at once.

    ``fn`` must be a whole unit of work (its own transaction), safe to repeat: issuance
    is, because it carries its idempotency key and claim holder into every attempt.
    """
    deadline = time.monotonic() + seconds
    pause = first_pause
    while True:
        try:
            return fn()
        except Unavailable as exc:
            if isinstance(exc, NotReady) or time.monotonic() + pause > deadline:
                raise
            cause = type(exc.__cause__).__name__ if exc.__cause__ else exc.code
            log.warning("database.retry", error=cause, pause=round(pause, 2))
            time.sleep(pause)
            # Short pauses: a failover ends at an unknown moment, and every pause after it is
            # added to the time without issuance.
            pause = min(pause * 2, MAX_PAUSE)
