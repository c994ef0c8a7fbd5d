"""server instances that beat while they live; a claim remembers its instance

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 13:10:00

Expand only: a new table and a nullable column, which the previous release ignores. A
claim on an idempotency key made by an instance that stopped beating can be taken over
at once instead of after the whole lease (issuance/services.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
phase: str = "expand"


def upgrade() -> None:
    op.create_table(
        "server_instances",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alive_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_instances")),
    )
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("instance", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("instance")
    op.drop_table("server_instances")
