"""the incident watcher reads recent issuances by issued_at every half second: an index

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 05:00:00

Expand only: a plain index. ``operations/incidents/issued.py`` asks for the issuances of
the last few seconds twice a second; without an index on ``issued_at`` alone (the one
there is leads with ``office_code``) that is a scan of the whole table each time. A plain
CREATE INDEX: the migrations run inside one transaction (adapters/migrate.py), which
CONCURRENTLY cannot; writes to ``issuances`` wait while it builds.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
phase = "expand"

NAME = "ix_issuances_issued_at"


def upgrade() -> None:
    op.create_index(NAME, "issuances", ["issued_at"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="issuances")
