"""Public verification of an issued document by its 문서확인번호."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from minwon.errors import InvalidRequest, NotFound
from minwon.issuance.context import IssuanceContext
from minwon.issuance.numbers import InvalidNumber, display, normalise
from minwon.issuance.probes import PROBE_STATUS_LABEL
from minwon.issuance.records import IssuanceRecord, IssuanceStatus, public_digest
from minwon.storage import retry_transient


class VerificationStatus(StrEnum):
    VALID = "valid"
    VOIDED = "voided"
    EXPIRED = "expired"
    # A probe document (issuance/probes.py), otherwise valid: never "valid", so nothing
    # that accepts only "valid" (a bank's system, ``minwon verify``) accepts it.
    PROBE = "probe"


STATUS_LABELS = {
    VerificationStatus.VALID: "유효한 문서입니다",
    VerificationStatus.VOIDED: "발급이 취소된 문서입니다",
    VerificationStatus.EXPIRED: "확인 기간이 지난 문서입니다",
    VerificationStatus.PROBE: PROBE_STATUS_LABEL,
}


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """What anyone may learn from a number: status and a masked summary, nothing more."""

    number: str
    status: VerificationStatus
    document_type: str
    title: str
    issued_at: datetime
    expires_at: datetime
    office_name: str
    subject_masked: str
    content_hash: str
    voided_at: datetime | None
    probe: bool = False  # a test document without legal effect, whatever its status

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def number_display(self) -> str:
        return display(self.number)


def mask_name(name: str) -> str:
    """Returns a name with its middle hidden: 김민준 → 김*준, 이준 → 이*."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def status_of(record: IssuanceRecord, now: datetime) -> VerificationStatus:
    """Returns valid, voided or expired for a record at ``now``; ``probe`` for a probe
    document that is neither voided nor expired."""
    if record.status is IssuanceStatus.VOIDED:
        return VerificationStatus.VOIDED
    if now >= record.expires_at:
        return VerificationStatus.EXPIRED
    if record.probe:
        return VerificationStatus.PROBE
    return VerificationStatus.VALID


def summarise(record: IssuanceRecord, now: datetime, digest_key: bytes) -> VerificationResult:
    """Returns what the public may learn of a record; its digest keyed, never plain."""
    snapshot = record.snapshot_data()
    person = snapshot.get("person") or {}
    household = snapshot.get("household") or {}
    building = snapshot.get("building") or {}
    if person.get("name"):
        subject = mask_name(str(person["name"]))
    elif household.get("head_name"):
        subject = f"세대주 {mask_name(str(household['head_name']))}"
    else:
        subject = str(building.get("register_number", ""))
    return VerificationResult(
        number=record.number,
        status=status_of(record, now),
        document_type=record.document_type,
        title=str(snapshot.get("title", record.document_type)),
        issued_at=record.issued_at,
        expires_at=record.expires_at,
        office_name=str((snapshot.get("office") or {}).get("name", record.office_code)),
        subject_masked=subject,
        content_hash=public_digest(digest_key, record.content_hash),
        voided_at=record.voided_at,
        probe=record.probe,
    )


def record_for_number(ctx: IssuanceContext, *, number_text: str) -> IssuanceRecord:
    """Returns the issuance with this number; typos fail before any lookup."""
    try:
        number = normalise(number_text)
    except InvalidNumber as exc:
        raise InvalidRequest(exc.code, exc.detail) from exc

    def read() -> IssuanceRecord | None:
        with ctx.uows(readonly=True) as uow:
            return uow.issuances.by_number(number)

    record = retry_transient(read, seconds=ctx.db_retry_seconds)
    if record is None:
        raise NotFound("verify.not_found", "해당 문서확인번호로 발급된 문서가 없습니다.")
    return record


def verify_number(ctx: IssuanceContext, *, number_text: str) -> VerificationResult:
    """Returns the status of the document with this number; typos fail before any lookup."""
    record = record_for_number(ctx, number_text=number_text)
    return summarise(record, ctx.clock.now(), ctx.digest_key)
