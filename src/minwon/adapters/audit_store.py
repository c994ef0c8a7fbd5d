"""The audit trail on SQL (implements audit.ports): append-only rows."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from minwon.adapters import tables as t
from minwon.audit.model import AuditEvent


class AuditLog:
    """Append-only audit events."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def record(self, event: AuditEvent) -> None:
        self._conn.execute(
            insert(t.audit_events).values(
                id=event.id,
                at=event.at,
                action=event.action,
                outcome=event.outcome,
                actor_kind=event.actor_kind,
                actor_id=event.actor_id,
                channel=event.channel,
                office_code=event.office_code,
                subject_ref=event.subject_ref,
                document_type=event.document_type,
                purpose=event.purpose,
                issuance_id=event.issuance_id,
                detail=dict(event.detail),
            )
        )

    def events(
        self, *, subject_ref: str | None = None, action: str | None = None
    ) -> list[AuditEvent]:
        table = t.audit_events
        query = select(table).order_by(table.c.at, table.c.id)
        if subject_ref is not None:
            query = query.where(table.c.subject_ref == subject_ref)
        if action is not None:
            query = query.where(table.c.action == action)
        rows = self._conn.execute(query).all()
        return [
            AuditEvent(
                id=r.id,
                at=r.at,
                action=r.action,
                outcome=r.outcome,
                actor_kind=r.actor_kind,
                actor_id=r.actor_id,
                channel=r.channel,
                office_code=r.office_code,
                subject_ref=r.subject_ref,
                document_type=r.document_type,
                purpose=r.purpose,
                issuance_id=r.issuance_id,
                detail=r.detail,
            )
            for r in rows
        ]
