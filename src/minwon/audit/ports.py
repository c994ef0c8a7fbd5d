"""The audit trail's storage port."""

from __future__ import annotations

from typing import Protocol

from minwon.audit.model import AuditEvent


class AuditLog(Protocol):
    """Append-only audit events."""

    def record(self, event: AuditEvent) -> None:
        """Appends one event to the trail."""
        ...

    def events(
        self, *, subject_ref: str | None = None, action: str | None = None
    ) -> list[AuditEvent]:
        """Returns events in order, optionally only about one subject or of one action."""
        ...
