"""probe documents and the release probe's synthetic residents are marked

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00

Expand only: two columns with a default of false, which the previous release neither
reads nor writes (its inserts get the default). ``issuances.probe`` marks a document the
release probe issued (never charged, in no register); ``residents.probe`` marks the
probe's synthetic people (issuance/probes.py, ``minwon probe setup``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
phase: str = "expand"


def upgrade() -> None:
    for table in ("issuances", "residents"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("probe", sa.Boolean(), nullable=False, server_default=sa.false())
            )


def downgrade() -> None:
    for table in ("residents", "issuances"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("probe")
