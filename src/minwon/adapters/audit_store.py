"""The audit trail on SQL (implements audit.ports): append-only rows in a hash chain."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from minwon.adapters import tables as t
from minwon.audit.chain import GENESIS, ChainedEvent, Checkpoint, link
from minwon.audit.model import AuditEvent

_HEAD_ID = 1


def _event(r: Any) -> AuditEvent:
    return AuditEvent(
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


class AuditLog:
    """Append-only audit events, each linked to the one before it."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _lock_head(self) -> tuple[int, str]:
        # FOR UPDATE serialises appends on PostgreSQL (SQLite writers already queue on
        # BEGIN IMMEDIATE): events link in the order their transactions commit.
        head = t.audit_chain_head
        row = self._conn.execute(
            select(head.c.seq, head.c.hash).where(head.c.id == _HEAD_ID).with_for_update()
        ).one_or_none()
        if row is None:
            self._conn.execute(insert(head).values(id=_HEAD_ID, seq=0, hash=GENESIS))
            return 0, GENESIS
        return int(row.seq), str(row.hash)

    def record(self, event: AuditEvent) -> None:
        last, prev = self._lock_head()
        seq = last + 1
        digest = link(prev, seq, event)
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
                seq=seq,
                prev_hash=prev,
                hash=digest,
            )
        )
        self._conn.execute(
            update(t.audit_chain_head)
            .where(t.audit_chain_head.c.id == _HEAD_ID)
            .values(seq=seq, hash=digest)
        )

    def events(
        self, *, subject_ref: str | None = None, action: str | None = None
    ) -> list[AuditEvent]:
        table = t.audit_events
        query = select(table).order_by(table.c.seq)
        if subject_ref is not None:
            query = query.where(table.c.subject_ref == subject_ref)
        if action is not None:
            query = query.where(table.c.action == action)
        return [_event(r) for r in self._conn.execute(query)]

    def office_events(
        self,
        *,
        office_code: str,
        since: datetime,
        until: datetime,
        actions: Collection[str],
        limit: int = 500,
    ) -> list[AuditEvent]:
        table = t.audit_events
        query = (
            select(table)
            .where(table.c.at >= since, table.c.at < until)  # ix_audit_events_at
            .where(table.c.office_code == office_code, table.c.action.in_(list(actions)))
            .order_by(table.c.seq.desc())
            .limit(limit)
        )
        return [_event(r) for r in self._conn.execute(query)]

    def chained(self) -> Iterator[ChainedEvent]:
        table = t.audit_events
        rows = self._conn.execute(select(table).order_by(table.c.seq)).yield_per(1000)
        for r in rows:
            yield ChainedEvent(int(r.seq), _event(r), r.prev_hash, r.hash)

    def head(self) -> tuple[int, str]:
        row = self._conn.execute(
            select(t.audit_chain_head.c.seq, t.audit_chain_head.c.hash)
        ).one_or_none()
        return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))

    def checkpoints(self) -> list[Checkpoint]:
        table = t.audit_checkpoints
        rows = self._conn.execute(select(table).order_by(table.c.seq))
        return [Checkpoint(int(r.seq), r.hash, r.at, r.kid, r.signature) for r in rows]

    def add_checkpoint(self, checkpoint: Checkpoint) -> bool:
        """Stores a checkpoint unless one for its sequence number exists; True if stored."""
        table = t.audit_checkpoints
        if self._conn.execute(select(table.c.seq).where(table.c.seq == checkpoint.seq)).first():
            return False
        self._conn.execute(
            insert(table).values(
                seq=checkpoint.seq,
                hash=checkpoint.hash,
                at=checkpoint.at,
                kid=checkpoint.kid,
                signature=checkpoint.signature,
            )
        )
        return True
