"""Tables of issuance parties and notices, on the same metadata as adapters/tables.py
(kept apart so neither module grows past its size; migrations/env.py imports both)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text

from minwon.adapters.tables import TS, metadata, notifications

# The portal inbox lists a resident's notices, newest first.
Index("ix_notifications_resident", notifications.c.resident_id, notifications.c.created_at)

# One row per notice and channel (notifications/delivery.py): claimed with a lease like an
# idempotency key, so a restarted worker resumes and no notice reaches a channel twice.
notice_deliveries = Table(
    "notice_deliveries",
    metadata,
    Column("notice_id", String(32), ForeignKey("notifications.id"), primary_key=True),
    Column("channel", String(10), primary_key=True),  # inbox | email | sms
    Column("address", String(120), nullable=True),  # the email address or mobile number
    # pending | sending | handed_over | delivered | failed | unconfirmed
    Column("state", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", TS, nullable=False),
    Column("holder", String(32), nullable=True),
    Column("lease_until", TS, nullable=True),
    Column("last_error", String(200), nullable=True),
    Column("finished_at", TS, nullable=True),
    Index("ix_notice_deliveries_due", "state", "next_attempt_at"),
)

# Where a resident wants notices, and the 주민등록표 등·초본 교부 사실 통보 subscription.
notice_preferences = Table(
    "notice_preferences",
    metadata,
    Column("resident_id", String(32), ForeignKey("residents.id"), primary_key=True),
    Column("email", String(120), nullable=True),
    Column("phone", String(20), nullable=True),
    Column("copy_notices", Boolean, nullable=False, default=False),
    Column("updated_at", TS, nullable=False),
)

# Who applied for each issuance (신청인) and the evidence seen. The number only sealed in
# the vault (with a keyed digest and the masked form), the fingerprint only as a digest.
issuance_applicants = Table(
    "issuance_applicants",
    metadata,
    Column("issuance_id", String(32), ForeignKey("issuances.id"), primary_key=True),
    Column("subject_ref", String(60), nullable=False),
    Column("name", String(40), nullable=False),
    Column("rrn_cipher", Text, nullable=True),
    Column("rrn_digest", String(64), nullable=True),
    Column("rrn_masked", String(14), nullable=True),
    Column("resident_id", String(32), nullable=True),
    Column("relation", String(20), nullable=False),
    Column("requester_class", String(30), nullable=False),
    Column("ground", String(30), nullable=True),
    Column("purpose", String(200), nullable=True),
    Column("identification", String(20), nullable=False),  # id_card | login | fingerprint
    Column("id_checked", Boolean, nullable=False),
    Column("checked_by", String(40), nullable=True),  # the clerk who checked the ID card
    Column("delegation_written_on", Date, nullable=True),
    Column("delegation_valid_until", Date, nullable=True),
    Column("delegation_scope", JSON, nullable=True),
    Column("delegator_id_seen", Boolean, nullable=True),
    Column("delegate_id_checked", Boolean, nullable=True),
    Column("delegator_id_checked", Boolean, nullable=True),
    Column("fingerprint_taken", Boolean, nullable=True),
    Column("fingerprint_digest", String(64), nullable=True),
    Column("recorded_at", TS, nullable=False),
    Index("ix_issuance_applicants_subject", "subject_ref"),
    Index("ix_issuance_applicants_rrn", "rrn_digest"),
)
