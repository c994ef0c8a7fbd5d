"""every recovery drill is recorded: target time, backup, restore/replay/proof seconds, verdict

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 00:40:00

Expand only: a new table the previous release never reads. ``minwon dr drill`` writes a
row when a drill starts and completes it at the end (operations/backup/drill.py), so an
inspection can tell the age of the last drill that passed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
phase = "expand"


def upgrade() -> None:
    op.create_table(
        "recovery_drills",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("target", sa.DateTime(timezone=True), nullable=False),
        sa.Column("backup_label", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("restore_seconds", sa.Float(), nullable=True),
        sa.Column("replay_seconds", sa.Float(), nullable=True),
        sa.Column("prove_seconds", sa.Float(), nullable=True),
        sa.Column("total_seconds", sa.Float(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_drills")),
    )
    op.create_index(op.f("ix_recovery_drills_started_at"), "recovery_drills", ["started_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_recovery_drills_started_at"), table_name="recovery_drills")
    op.drop_table("recovery_drills")
