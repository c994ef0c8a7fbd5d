"""issued documents kept as signed bytes; seal impressions

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 10:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
phase: str = "expand"


def upgrade() -> None:
    op.create_table(
        "issued_documents",
        sa.Column("issuance_id", sa.String(length=32), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuance_id"],
            ["issuances.id"],
            name=op.f("fk_issued_documents_issuance_id_issuances"),
        ),
        sa.PrimaryKeyConstraint("issuance_id", name=op.f("pk_issued_documents")),
    )
    with op.batch_alter_table("issuances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pdf_sha256", sa.String(length=64), nullable=True))
    with op.batch_alter_table("seal_registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("impression_png", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("seal_registrations", schema=None) as batch_op:
        batch_op.drop_column("impression_png")
    with op.batch_alter_table("issuances", schema=None) as batch_op:
        batch_op.drop_column("pdf_sha256")
    op.drop_table("issued_documents")
