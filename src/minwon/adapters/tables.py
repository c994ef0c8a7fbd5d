"""SQLAlchemy Core tables: one schema for SQLite and PostgreSQL (portable column types)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment in time, always stored and compared in UTC.

    PostgreSQL's timestamptz converts by itself; SQLite keeps no offset and compares text,
    so a bound 2026-12-03 00:00 KST (the start of a day's 교부대장) was compared with rows
    written as 2026-12-02 15:05 UTC, and from midnight to 9 a.m. KST the day looked empty.
    Bound values are converted to UTC (naive ones are taken as UTC, as stored); values read
    back carry UTC on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


TS = UtcDateTime()

offices = Table(
    "offices",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("head_title", String(80), nullable=False),
    Column("district", String(40), nullable=False),
)

# Residents keep the number only encrypted (개인정보 보호법 제24조의2) plus a keyed digest
# for exact lookups; birth date and sex are stored plainly because the masked form shows them.
residents = Table(
    "residents",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("rrn_digest", String(64), nullable=False, unique=True),
    Column("rrn_cipher", Text, nullable=False),
    Column("name", String(40), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("foreign", Boolean, nullable=False, default=False),
    Column("alive", Boolean, nullable=False, default=True),
    Column("household_id", String(32), nullable=True),
    # The release probe's synthetic people (issuance/probes.py): whatever is issued about
    # them or at their request is a probe document (migration 0007).
    Column("probe", Boolean, nullable=False, default=False, server_default=false()),
    Index("ix_residents_name_birth", "name", "birth_date"),
    Index("ix_residents_household", "household_id"),
)

households = Table(
    "households",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("head_resident_id", String(32), nullable=False),
    Column("address", String(200), nullable=False),
    Column("dong_code", String(16), ForeignKey("offices.code"), nullable=False),
    Column("formed_on", Date, nullable=False),
    Column("formation_reason", String(40), nullable=False),
)

household_members = Table(
    "household_members",
    metadata,
    Column("household_id", String(32), ForeignKey("households.id"), primary_key=True),
    Column("resident_id", String(32), ForeignKey("residents.id"), primary_key=True),
    Column("relation_to_head", String(20), nullable=False),
    Column("joined_on", Date, nullable=False),
    Column("change_reason", String(40), nullable=False),
    Column("cohabitant", Boolean, nullable=False, default=False),
    Index("ix_household_members_resident", "resident_id"),
)

address_history = Table(
    "address_history",
    metadata,
    Column("resident_id", String(32), ForeignKey("residents.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("address", String(200), nullable=False),
    Column("moved_in_on", Date, nullable=False),
    Column("reason", String(40), nullable=False),
    Column("head_name", String(40), nullable=False),
    Column("head_relation", String(20), nullable=False),
)

seal_registrations = Table(
    "seal_registrations",
    metadata,
    Column("resident_id", String(32), ForeignKey("residents.id"), primary_key=True),
    Column("registered_on", Date, nullable=False),
    Column("office_code", String(16), nullable=False),
    Column("seal_description", String(80), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    # The registered impression as a PNG (the 인감증명서 prints it); None: not yet scanned.
    Column("impression_png", LargeBinary, nullable=True),
)

tax_records = Table(
    "tax_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("resident_id", String(32), ForeignKey("residents.id"), nullable=False),
    Column("tax_year", Integer, nullable=False),
    Column("tax_kind", String(40), nullable=False),
    Column("assessed", BigInteger, nullable=False),
    Column("paid", BigInteger, nullable=False),
    Column("due_on", Date, nullable=False),
    Index("ix_tax_records_resident", "resident_id"),
)

buildings = Table(
    "buildings",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("register_number", String(32), nullable=False, unique=True),
    Column("address", String(200), nullable=False),
    Column("dong_code", String(16), nullable=False),
    Column("owner_name", String(40), nullable=False),
    Column("main_use", String(40), nullable=False),
    Column("structure", String(40), nullable=False),
    Column("floors_above", Integer, nullable=False),
    Column("floors_below", Integer, nullable=False),
    Column("floor_area_m2", Float, nullable=False),
    Column("site_area_m2", Float, nullable=False),
    Column("approved_on", Date, nullable=False),
)

citizen_accounts = Table(
    "citizen_accounts",
    metadata,
    Column("username", String(40), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("resident_id", String(32), ForeignKey("residents.id"), nullable=False, unique=True),
)

clerks = Table(
    "clerks",
    metadata,
    Column("username", String(40), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("name", String(40), nullable=False),
    Column("role", String(20), nullable=False),
    Column("office_code", String(16), ForeignKey("offices.code"), nullable=False),
)

kiosks = Table(
    "kiosks",
    metadata,
    Column("device_id", String(40), primary_key=True),
    Column("key_hash", String(200), nullable=False),
    Column("office_code", String(16), ForeignKey("offices.code"), nullable=False),
    Column("location", String(120), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

# Sessions live in the database so any app instance can serve any request.
auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("token_digest", String(64), primary_key=True),
    Column("principal_kind", String(10), nullable=False),
    Column("principal_id", String(40), nullable=False),
    Column("resident_id", String(32), nullable=True),
    Column("office_code", String(16), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("attributes", JSON, nullable=False),
)

rate_limit_windows = Table(
    "rate_limit_windows",
    metadata,
    Column("bucket", String(120), primary_key=True),
    Column("window_start", BigInteger, primary_key=True),
    Column("hits", Integer, nullable=False),
)

# Failed sign-ins in a row, per account: from addresses it never signed in from (source
# "*"), and per address it did sign in from; each with the time the next try may come
# (identity/signin.py). A row for an address also remembers its last success.
sign_in_guards = Table(
    "sign_in_guards",
    metadata,
    Column("principal_kind", String(10), primary_key=True),
    Column("username", String(60), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", TS, nullable=True),
    Column("delayed_until", TS, nullable=True),
    Column("last_success_at", TS, nullable=True),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(60), primary_key=True),
    Column("key", String(80), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("state", String(12), nullable=False),  # in_flight | completed
    # Which request holds an in-flight claim: that request may retry after a lost
    # connection; any other request with the same key gets 409 until the lease ends.
    Column("holder", String(32), nullable=False),
    Column("lease_until", TS, nullable=False),
    # The server instance the holder runs in: once it stops beating (server_instances)
    # the claim is taken over at once, without waiting for the lease. Null: lease only.
    Column("instance", String(32), nullable=True),
    Column("issuance_id", String(32), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("replays", Integer, nullable=False, default=0),
)

# One row per running server process, renewed a few times a second (operations/heartbeat.py):
# a process that stops beating (killed, hung, its host gone) is dead to everyone else.
server_instances = Table(
    "server_instances",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", TS, nullable=False),
    Column("beat_at", TS, nullable=False),
    Column("alive_until", TS, nullable=False),
)

# One row per ``minwon release`` (operations/release/canary.py): which build, who, when,
# promoted or rolled back and why, with every step it took.
releases = Table(
    "releases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("build_id", String(80), nullable=False),
    Column("version", String(40), nullable=False),
    Column("who", String(80), nullable=False),
    Column("started_at", TS, nullable=False, index=True),
    Column("finished_at", TS, nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("code", String(80), nullable=False),
    Column("reason", Text, nullable=False),
    Column("canary", String(40), nullable=True),
    Column("decision_seconds", Float, nullable=True),
    Column("steps", JSON, nullable=False),
)

issuances = Table(
    "issuances",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("number", String(16), nullable=False, unique=True),
    # principal|idempotency key: a second issuance for one key would be a duplicate.
    Column("request_ref", String(160), nullable=False),
    Column("document_type", String(40), nullable=False),
    Column("subject_ref", String(60), nullable=False),
    Column("requester_kind", String(20), nullable=False),
    Column("requester_ref", String(60), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("office_code", String(16), nullable=False),
    Column("issued_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    # The snapshot can hold numbers the requester was entitled to see, so it is sealed
    # with the vault key like every other stored resident registration number.
    Column("snapshot_sealed", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    # SHA-256 of the signed PDF made at issuance: every download returns exactly those bytes.
    Column("pdf_sha256", String(64), nullable=True),
    Column("status", String(10), nullable=False),
    Column("voided_at", TS, nullable=True),
    Column("void_reason", String(200), nullable=True),
    Column("voided_by", String(40), nullable=True),
    # A probe document (issuance/probes.py): marked, never charged, in no register.
    Column("probe", Boolean, nullable=False, default=False, server_default=false()),
    Index("ix_issuances_office_issued", "office_code", "issued_at"),
    Index("ix_issuances_issued_at", "issued_at"),  # the incident watcher's recent reads
    Index("ix_issuances_subject", "subject_ref"),
    Index("ix_issuances_request_ref", "request_ref"),
)

# The signed PDF of each issuance, made once; kept while the document can be verified.
issued_documents = Table(
    "issued_documents",
    metadata,
    Column("issuance_id", String(32), ForeignKey("issuances.id"), primary_key=True),
    Column("pdf", LargeBinary, nullable=False),
    Column("stored_at", TS, nullable=False),
)

fees = Table(
    "fees",
    metadata,
    Column("issuance_id", String(32), ForeignKey("issuances.id"), primary_key=True),
    Column("amount", Integer, nullable=False),
    Column("channel", String(10), nullable=False),
    Column("exemption", String(40), nullable=True),
    Column("charged_at", TS, nullable=False),
    UniqueConstraint("issuance_id", name="uq_fees_once_per_issuance"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("at", TS, nullable=False),
    Column("action", String(20), nullable=False),
    Column("outcome", String(60), nullable=False),
    Column("actor_kind", String(10), nullable=False),
    Column("actor_id", String(40), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("office_code", String(16), nullable=True),
    Column("subject_ref", String(60), nullable=True),
    Column("document_type", String(40), nullable=True),
    Column("purpose", String(200), nullable=True),
    Column("issuance_id", String(32), nullable=True),
    Column("detail", JSON, nullable=False),
    # The hash chain (audit/chain.py): place, the previous event's hash, this one's.
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_events_at", "at"),
    Index("ix_audit_events_subject", "subject_ref"),
)

# Outbox: notices written in the issuing transaction, sent later by a worker (SMS, 알림톡),
# so a notice is never lost and never sent for a document that was not issued.
# The chain's tip, one row: appends lock it, so events link in commit order.
audit_chain_head = Table(
    "audit_chain_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Signed statements of the chain's hash at a sequence number (audit/checkpoints.py).
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("seq", BigInteger, primary_key=True),
    Column("hash", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("kid", String(16), nullable=False),
    Column("signature", String(100), nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("resident_id", String(32), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("issuance_id", String(32), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("sent_at", TS, nullable=True),
    Column("message", String(400), nullable=False),
    Index("ix_notifications_unsent", "sent_at"),
)
