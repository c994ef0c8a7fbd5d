"""who applied for each issuance; notice deliveries per channel; notice preferences

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 09:00:00

Issuances made before this revision have no applicant row: the clerk's view says so.
Notices queued before it are routed by the delivery worker like new ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
phase: str = "expand"


def upgrade() -> None:
    op.create_table(
        "issuance_applicants",
        sa.Column("issuance_id", sa.String(length=32), nullable=False),
        sa.Column("subject_ref", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("rrn_cipher", sa.Text(), nullable=True),
        sa.Column("rrn_digest", sa.String(length=64), nullable=True),
        sa.Column("rrn_masked", sa.String(length=14), nullable=True),
        sa.Column("resident_id", sa.String(length=32), nullable=True),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("requester_class", sa.String(length=30), nullable=False),
        sa.Column("ground", sa.String(length=30), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=True),
        sa.Column("identification", sa.String(length=20), nullable=False),
        sa.Column("id_checked", sa.Boolean(), nullable=False),
        sa.Column("checked_by", sa.String(length=40), nullable=True),
        sa.Column("delegation_written_on", sa.Date(), nullable=True),
        sa.Column("delegation_valid_until", sa.Date(), nullable=True),
        sa.Column("delegation_scope", sa.JSON(), nullable=True),
        sa.Column("delegator_id_seen", sa.Boolean(), nullable=True),
        sa.Column("delegate_id_checked", sa.Boolean(), nullable=True),
        sa.Column("delegator_id_checked", sa.Boolean(), nullable=True),
        sa.Column("fingerprint_taken", sa.Boolean(), nullable=True),
        sa.Column("fingerprint_digest", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuance_id"],
            ["issuances.id"],
            name=op.f("fk_issuance_applicants_issuance_id_issuances"),
        ),
        sa.PrimaryKeyConstraint("issuance_id", name=op.f("pk_issuance_applicants")),
    )
    with op.batch_alter_table("issuance_applicants", schema=None) as batch_op:
        batch_op.create_index("ix_issuance_applicants_rrn", ["rrn_digest"], unique=False)
        batch_op.create_index("ix_issuance_applicants_subject", ["subject_ref"], unique=False)

    op.create_table(
        "notice_deliveries",
        sa.Column("notice_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=120), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(length=32), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notifications.id"],
            name=op.f("fk_notice_deliveries_notice_id_notifications"),
        ),
        sa.PrimaryKeyConstraint("notice_id", "channel", name=op.f("pk_notice_deliveries")),
    )
    with op.batch_alter_table("notice_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notice_deliveries_due", ["state", "next_attempt_at"], unique=False
        )

    op.create_table(
        "notice_preferences",
        sa.Column("resident_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=120), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("copy_notices", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_notice_preferences_resident_id_residents"),
        ),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_notice_preferences")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_resident", ["resident_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_resident")
    op.drop_table("notice_preferences")
    with op.batch_alter_table("notice_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_deliveries_due")
    op.drop_table("notice_deliveries")
    with op.batch_alter_table("issuance_applicants", schema=None) as batch_op:
        batch_op.drop_index("ix_issuance_applicants_subject")
        batch_op.drop_index("ix_issuance_applicants_rrn")
    op.drop_table("issuance_applicants")
