"""Signs checkpoints of the audit chain at a steady interval while a server runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from minwon.audit.services import checkpoint
from minwon.errors import MinwonError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from minwon.audit.ports import AuditUnitOfWorks

LOG = structlog.get_logger("minwon.audit")


class CheckpointKeeper:
    """A daemon thread that signs the chain's head every ``interval`` seconds.

    Each server process runs one; two processes signing the same head store it once.
    A database that is away skips a turn (the next one pins everything since).
    """

    def __init__(
        self,
        uows: AuditUnitOfWorks,
        key: ed25519.Ed25519PrivateKey,
        now: Callable[[], datetime],
        interval: float,
    ) -> None:
        self._uows, self._key, self._now, self._interval = uows, key, now, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-checkpoints", daemon=True)

    def start(self) -> CheckpointKeeper:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                made = checkpoint(self._uows, self._key, self._now())
            except MinwonError as exc:  # unavailable, not ready: try again next turn
                LOG.warning("audit.checkpoint_skipped", code=exc.code)
                continue
            if made is not None:
                LOG.info("audit.checkpoint", seq=made.seq, kid=made.kid)
