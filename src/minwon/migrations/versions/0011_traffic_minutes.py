"""every app instance writes what each channel served per minute (availability report)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 04:00:00

Expand only: one new table the previous release never reads. Each app instance writes
``traffic_minutes`` (operations/availability/traffic.py); ``minwon report availability``
and ``/ops`` read it with the incidents.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
phase = "expand"


def upgrade() -> None:
    op.create_table(
        "traffic_minutes",
        sa.Column("instance", sa.String(length=64), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("ok", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("latency", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("instance", "minute", "channel", name=op.f("pk_traffic_minutes")),
    )
    op.create_index(op.f("ix_traffic_minutes_minute"), "traffic_minutes", ["minute"])


def downgrade() -> None:
    op.drop_index(op.f("ix_traffic_minutes_minute"), table_name="traffic_minutes")
    op.drop_table("traffic_minutes")
