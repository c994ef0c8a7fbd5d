"""The audit trail's storage port."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Protocol

from minwon.audit.chain import ChainedEvent, Checkpoint
from minwon.audit.model import AuditEvent
from minwon.storage import UnitOfWork


class AuditLog(Protocol):
    """Append-only audit events in a hash chain."""

    def record(self, event: AuditEvent) -> None:
        """Appends one event to the trail, linked to the one before it."""
        ...

    def chained(self) -> Iterator[ChainedEvent]:
        """Yields every event with its place and hashes, in chain order."""
        ...

    def head(self) -> tuple[int, str]:
        """Returns the last sequence number and hash (0 and the genesis hash if empty)."""
        ...

    def checkpoints(self) -> list[Checkpoint]:
        """Returns the stored checkpoints in sequence order."""
        ...

    def add_checkpoint(self, checkpoint: Checkpoint) -> bool:
        """Stores a checkpoint unless its sequence number has one; True if stored."""
        ...

    def events(
        self, *, subject_ref: str | None = None, action: str | None = None
    ) -> list[AuditEvent]:
        """Returns events in order, optionally only about one subject or of one action."""
        ...

    def office_events(
        self,
        *,
        office_code: str,
        since: datetime,
        until: datetime,
        actions: Collection[str],
        limit: int = 500,
    ) -> list[AuditEvent]:
        """Returns an office's events of some actions in [since, until), newest first."""
        ...


class AuditUnitOfWork(UnitOfWork, Protocol):
    """What audit use cases touch in one transaction."""

    @property
    def audit(self) -> AuditLog: ...


class AuditUnitOfWorks(Protocol):
    """Makes audit units of work; ``readonly`` ones never take a write lock."""

    def __call__(self, *, readonly: bool = False) -> AuditUnitOfWork: ...
