"""Reading who applied: the clerk's view of an issuance's applicant, and the subject's
view of who obtained copies of their records (date, office, capacity, purpose; never a
number or a name)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from minwon.errors import Forbidden
from minwon.identity.model import Principal, PrincipalKind
from minwon.issuance.context import IssuanceContext
from minwon.issuance.parties import ApplicantRecord, class_label
from minwon.issuance.records import IssuanceRecord


def applicant_for(
    ctx: IssuanceContext, *, principal: Principal, record: IssuanceRecord
) -> ApplicantRecord | None:
    """Returns the applicant of an issuance the caller was allowed to read (issuance/
    reading.py decides that): clerks only. None for an issuance made before applicants
    were recorded."""
    if principal.kind is not PrincipalKind.CLERK:
        raise Forbidden("auth.clerk_only", "담당 공무원만 이용할 수 있습니다.")
    with ctx.uows(readonly=True) as uow:
        return uow.applicants.of_issuance(record.id)


@dataclass(frozen=True, slots=True)
class RecordCopy:
    """One copy of a resident's record someone else obtained, as the resident sees it."""

    issued_at: datetime
    title: str
    office_name: str
    channel: str
    requester_class: str | None
    requester_label: str
    purpose: str | None
    voided: bool


def copies_of_my_records(ctx: IssuanceContext, *, principal: Principal) -> list[RecordCopy]:
    """Returns, newest first, the documents about the signed-in citizen that someone else
    obtained: when, at which office, in which capacity (세대원, 위임받은 대리인, a ground
    of 주민등록법 제29조②) and for what purpose."""
    if principal.kind is not PrincipalKind.CITIZEN or principal.resident_id is None:
        raise Forbidden("record_access.citizen_only", "로그인한 주민 본인만 볼 수 있습니다.")
    me = principal.resident_id
    with ctx.uows(readonly=True) as uow:
        copies = uow.applicants.about_subject(f"resident:{me}")
        offices = {code: uow.registry.office(code) for code in {c.office_code for c in copies}}
    shown = []
    for copy in copies:
        mine = copy.applicant_resident_id == me or copy.requester_ref == principal.ref
        if copy.requester_class == "self" or mine:
            continue  # what I obtained myself
        document = ctx.catalog.get(copy.document_type)
        office = offices.get(copy.office_code)
        shown.append(
            RecordCopy(
                issued_at=copy.issued_at,
                title=document.title if document else copy.document_type,
                office_name=office.name if office else copy.office_code,
                channel=copy.channel,
                requester_class=copy.requester_class,
                requester_label=class_label(copy.requester_class),
                purpose=copy.purpose,
                voided=copy.status != "valid",
            )
        )
    return shown
