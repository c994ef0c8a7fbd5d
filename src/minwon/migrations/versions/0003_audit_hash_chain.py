"""audit events in a hash chain, with signed checkpoints

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 10:40:00

Existing events are linked in the order they were recorded (time, then id).

Contract: ``seq``, ``prev_hash`` and ``hash`` end NOT NULL without a default, so a release
before it can no longer record an audit event (found by the phase check,
adapters/schema_phases.py); it may run only once no such release serves.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from minwon.audit.chain import GENESIS, link
from minwon.audit.model import AuditEvent

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
phase: str = "contract"

_EVENT_FIELDS = (
    "id",
    "at",
    "action",
    "outcome",
    "actor_kind",
    "actor_id",
    "channel",
    "office_code",
    "subject_ref",
    "document_type",
    "purpose",
    "issuance_id",
    "detail",
)


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_checkpoints")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _link_existing_events()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_audit_events_seq"), ["seq"])


def _link_existing_events() -> None:
    from minwon.adapters.tables import UtcDateTime

    bind = op.get_bind()
    events = sa.table(
        "audit_events",
        *(sa.column(name) for name in _EVENT_FIELDS if name not in ("at", "detail")),
        sa.column("at", UtcDateTime()),
        sa.column("detail", sa.JSON()),
        sa.column("seq", sa.BigInteger()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    rows = bind.execute(sa.select(events).order_by(events.c.at, events.c.id)).all()
    prev = GENESIS
    for seq, row in enumerate(rows, start=1):
        event = AuditEvent(**{name: getattr(row, name) for name in _EVENT_FIELDS})
        digest = link(prev, seq, event)
        bind.execute(
            events.update()
            .where(events.c.id == row.id)
            .values(seq=seq, prev_hash=prev, hash=digest)
        )
        prev = digest
    head = sa.table("audit_chain_head", sa.column("id"), sa.column("seq"), sa.column("hash"))
    bind.execute(head.insert().values(id=1, seq=len(rows), hash=prev))


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_audit_events_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_chain_head")
