"""every release of the app is recorded: version, who, when, outcome and why

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 16:40:00

Expand only: a new table the previous release never reads. ``minwon release`` writes one
row per release (operations/release/canary.py), with its steps, so incidents and reports
can tell which build ran when and why a release was rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
phase = "expand"


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("build_id", sa.String(length=80), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("who", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("canary", sa.String(length=40), nullable=True),
        sa.Column("decision_seconds", sa.Float(), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
    )
    op.create_index(op.f("ix_releases_started_at"), "releases", ["started_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_releases_started_at"), table_name="releases")
    op.drop_table("releases")
