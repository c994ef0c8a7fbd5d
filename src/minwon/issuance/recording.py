"""The issuing transaction's writes: the issuance with its frozen snapshot, the fee, who
applied, the audit event and the notices to the subject (one insert each).

Nothing here reads the registry or decides: issuance/assessment.py did, before the
writing transaction opened.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from minwon.audit.model import AuditEvent
from minwon.catalog.model import DocumentType
from minwon.clock import KST
from minwon.errors import Conflict
from minwon.identity.model import Principal
from minwon.issuance.assessment import Assessment
from minwon.issuance.commands import IssueDocument
from minwon.issuance.context import IssuanceContext
from minwon.issuance.model import Permit, Relation
from minwon.issuance.numbers import new_number
from minwon.issuance.parties import Applicant, audit_detail, class_label
from minwon.issuance.probes import PROBE_MARK
from minwon.issuance.records import FeeRecord, IssuanceRecord, canonical_json, content_hash
from minwon.issuance.snapshot import Dossier, PartyInfo, SnapshotInput, build_snapshot
from minwon.notifications.model import Notice
from minwon.periods import end_of_days
from minwon.registry.model import Office
from minwon.registry.rrn import mask, redact

if TYPE_CHECKING:
    from minwon.issuance.fees import FeeDecision
    from minwon.issuance.ports import IssuanceUnitOfWork

NUMBER_ATTEMPTS = 5
OWN_CLASSES = frozenset({"self", "household_member"})  # not a third party's copy


def new_id() -> str:
    return uuid.uuid4().hex


def with_parties(dossier: Dossier, cmd: IssueDocument, applicant: Applicant) -> Dossier:
    """Returns the dossier with the people a document prints besides the subject: the buyer
    (인감 매도용) and, for a delegate, the real applicant (name and masked number), whether
    or not the registry knows them."""
    buyer = PartyInfo(cmd.buyer.name, mask(cmd.buyer.rrn), cmd.buyer.address) if cmd.buyer else None
    proxy = None
    if applicant.relation is not Relation.SELF and cmd.delegation is not None:
        proxy = PartyInfo(applicant.name, mask(applicant.rrn) if applicant.rrn else "")
    return replace(dossier, buyer=buyer, proxy=proxy)


def store_issuance(
    uow: IssuanceUnitOfWork,
    *,
    ctx: IssuanceContext,
    principal: Principal,
    document: DocumentType,
    permit: Permit,
    dossier: Dossier,
    office: Office,
    subject_ref: str,
    fee_amount: int,
    purpose: str | None,
    request_ref: str,
    probe: bool = False,
) -> IssuanceRecord:
    """Freezes the snapshot under a new 문서확인번호 and adds the issuance; a probe's
    snapshot carries the mark its every page prints (issuance/probes.py)."""
    now = ctx.clock.now()
    for _ in range(NUMBER_ATTEMPTS):
        number = new_number()
        snapshot = build_snapshot(
            SnapshotInput(
                document=document,
                permit=permit,
                dossier=dossier,
                number=number,
                issued_at=now,
                channel=principal.channel,
                office=office,
                fee=fee_amount,
                purpose=purpose,
                verify_url=ctx.verify_url,
            )
        )
        if probe:
            snapshot["probe_mark"] = PROBE_MARK
        canonical = canonical_json(snapshot)
        record = IssuanceRecord(
            id=new_id(),
            number=number,
            request_ref=request_ref,
            document_type=document.code,
            subject_ref=subject_ref,
            requester_kind=principal.kind.value,
            requester_ref=principal.ref,
            channel=principal.channel.value,
            office_code=office.code,
            issued_at=now,
            expires_at=end_of_days(now, document.valid_days, KST),
            snapshot=canonical,
            content_hash=content_hash(canonical),
            probe=probe,
        )
        if uow.issuances.add(record):
            return record
    raise Conflict(
        "issuance.number_exhausted", "문서확인번호를 만들지 못했습니다. 다시 시도해 주세요."
    )


def notice_for(
    document: DocumentType, found: Assessment, record: IssuanceRecord, permit: Permit
) -> Notice | None:
    """Returns the notice the subject is owed, if any: every 인감증명서 (인감증명법), and
    a copy of a 등·초본 someone other than 본인·세대원 obtained when the subject subscribed
    (주민등록표 등·초본 교부 사실 통보). The text names no number."""
    subject = found.dossier.subject
    if subject is None:
        return None
    office = found.office.name
    when = record.issued_at.astimezone(KST).strftime("%Y-%m-%d %H:%M")
    applicant = found.applicant
    if document.notify_subject:
        if applicant.relation is Relation.SELF:
            who = "본인 신청으로"
        else:
            who = f"대리인 {applicant.name}님의 신청으로"
        kind = f"issued:{document.code}"
        text = (
            f"{when} {office}에서 {who} {document.title}이(가) 발급되었습니다. "
            f"본인이 신청하거나 위임하지 않았다면 {office}에 알려 주세요."
        )
    elif (
        document.notify_subscribers
        and found.subscribed
        and permit.requester_class not in OWN_CLASSES
    ):
        kind = f"copy:{document.code}"
        purpose = redact(applicant.purpose or "")[:80]
        text = (
            f"{when} {office}에서 {class_label(permit.requester_class)} 자격의 신청으로 "
            f"{document.title}이(가) 발급되었습니다"
            + (f" (용도·목적: {purpose})." if purpose else ".")
            + " 포털의 '내 기록 발급 사실'에서 확인할 수 있습니다."
        )
    else:
        return None
    return Notice(new_id(), subject.id, kind, record.id, record.issued_at, text[:400])


@dataclass(frozen=True, slots=True)
class Written:
    record: IssuanceRecord
    fee: FeeRecord


def write_issuance(
    uow: IssuanceUnitOfWork,
    *,
    ctx: IssuanceContext,
    principal: Principal,
    cmd: IssueDocument,
    document: DocumentType,
    found: Assessment,
    permit: Permit,
    charge: FeeDecision,
    audit: dict[str, Any],
    now: datetime,
) -> Written:
    """Writes the issuance, its fee, its applicant, its audit event and its notice."""
    dossier = found.dossier
    if cmd.buyer is not None or found.relation is not Relation.SELF:
        dossier = with_parties(dossier, cmd, found.applicant)
    record = store_issuance(
        uow,
        ctx=ctx,
        principal=principal,
        document=document,
        permit=permit,
        dossier=dossier,
        office=found.office,
        subject_ref=found.subject_ref,
        fee_amount=charge.amount,
        purpose=cmd.purpose,
        request_ref=f"{principal.ref}|{cmd.idempotency_key}",
        probe=found.probe,
    )
    fee = FeeRecord(record.id, charge.amount, principal.channel.value, charge.exemption, now)
    uow.issuances.charge(fee)
    masked = uow.applicants.record(record.id, found.subject_ref, found.applicant, at=now)
    uow.audit.record(
        AuditEvent(
            id=new_id(),
            action="issue",
            outcome="issued",
            issuance_id=record.id,
            detail={
                "relation": found.relation.value,
                "requester_class": permit.requester_class,
                "ground": cmd.ground.value if cmd.ground else None,
                "copies": cmd.copies,
                "fee": charge.amount,
                "exemption": charge.exemption,
                "items": dict(permit.items),
                "applicant": audit_detail(found.applicant, masked),
                **({"probe": True} if found.probe else {}),
            },
            **audit,
        )
    )
    # A probe document is nobody's business: no 인감 notice, no copy notice.
    notice = None if found.probe else notice_for(document, found, record, permit)
    if notice is not None:
        uow.notices.enqueue(notice)
    return Written(record, fee)
