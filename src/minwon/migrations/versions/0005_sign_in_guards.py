"""failed sign-ins per account and per address, with the time the next try may come

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 12:00:00

Replaces the per-minute limit per account, which let anyone lock an account by typing
wrong passwords at it: accounts start with no failures and no known addresses, so the
first sign-in after the upgrade is treated like one from a new address.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
phase: str = "expand"


def upgrade() -> None:
    op.create_table(
        "sign_in_guards",
        sa.Column("principal_kind", sa.String(length=10), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delayed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(
            "principal_kind", "username", "source", name=op.f("pk_sign_in_guards")
        ),
    )


def downgrade() -> None:
    op.drop_table("sign_in_guards")
