"""Reading the registry for an issuance and deciding on it: no writes.

What the requester and the subject are to each other, what the registry holds on the
subject (the dossier the snapshot is built from) and what the statute allows. Runs in a
read-only unit of work before the issuance's writing transaction opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from minwon.catalog.model import DocumentType, Subject
from minwon.clock import KST
from minwon.errors import InvalidRequest, NotFound, Unauthorized
from minwon.identity.model import Principal, PrincipalKind
from minwon.issuance import entitlement
from minwon.issuance.commands import IssueDocument
from minwon.issuance.context import IssuanceContext
from minwon.issuance.model import (
    Decision,
    EntitlementRequest,
    ProxyFacts,
    Relation,
    SubjectFacts,
)
from minwon.issuance.snapshot import Dossier
from minwon.registry.model import Office, Resident, age_on
from minwon.registry.rrn import InvalidRrn, parse

if TYPE_CHECKING:
    from minwon.issuance.ports import IssuanceUnitOfWork


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the registry says about a request, and the statute's decision on it."""

    office: Office
    requester: Resident | None
    dossier: Dossier
    relation: Relation
    subject_ref: str
    decision: Decision


def assess(
    uow: IssuanceUnitOfWork,
    *,
    ctx: IssuanceContext,
    principal: Principal,
    cmd: IssueDocument,
    document: DocumentType,
    now: datetime,
) -> Assessment:
    """Returns the issuing office, the parties, the subject's dossier and the decision."""
    today = now.astimezone(KST).date()
    office_code = principal.office_code or ctx.online_office_code
    office = uow.registry.office(office_code)
    if office is None:
        raise NotFound("office.not_found", "발급 기관 정보를 찾을 수 없습니다.")
    requester, identified = _requester(uow, principal, cmd)
    if document.subject is Subject.BUILDING:
        building = uow.registry.building(cmd.building_number or "")
        if building is None:
            raise NotFound("registry.building_not_found", "건축물대장을 찾을 수 없습니다.")
        dossier = Dossier(building=building)
        relation, facts = Relation.OTHER, SubjectFacts()
        subject_ref = f"building:{building.register_number}"
    else:
        subject = _subject(uow, cmd, requester)
        dossier = _resident_dossier(uow, subject)
        relation = _relation(requester, subject)
        facts = SubjectFacts(
            has_active_seal=dossier.seal is not None and dossier.seal.active,
            tax_arrears=sum(t.arrears for t in dossier.taxes),
            alive=subject.alive,
        )
        subject_ref = f"resident:{subject.id}"
    proxy = cmd.proxy
    if proxy is not None and requester is not None:
        proxy = ProxyFacts(
            age=age_on(requester.birth_date, today),
            delegate_id_checked=proxy.delegate_id_checked,
            delegator_id_checked=proxy.delegator_id_checked,
            fingerprint_taken=proxy.fingerprint_taken,
        )
    decision = entitlement.decide(
        EntitlementRequest(
            document=document,
            channel=principal.channel,
            relation=relation,
            today=today,
            requester_identified=identified,
            delegation=cmd.delegation,
            ground=cmd.ground,
            purpose=cmd.purpose,
            items=cmd.items,
            proxy=proxy,
            subject=facts,
        )
    )
    return Assessment(office, requester, dossier, relation, subject_ref, decision)


def _requester(
    uow: IssuanceUnitOfWork, principal: Principal, cmd: IssueDocument
) -> tuple[Resident | None, bool]:
    """Returns the requester's registry record (if any) and whether they were identified."""
    if principal.kind is PrincipalKind.CLERK:
        if cmd.requester is None:
            raise InvalidRequest(
                "counter.requester_required",
                "창구 발급에는 신청인 정보와 신분증 확인이 필요합니다.",
            )
        resident = _by_rrn(uow, cmd.requester.rrn) if cmd.requester.rrn else None
        return resident, cmd.requester.id_checked
    if principal.resident_id is None:
        raise Unauthorized("kiosk.not_identified", "지문 인증으로 본인 확인을 먼저 해 주세요.")
    return uow.registry.resident(principal.resident_id), True


def _by_rrn(uow: IssuanceUnitOfWork, rrn: str) -> Resident | None:
    try:
        parse(rrn)
    except InvalidRrn as exc:
        raise InvalidRequest(exc.code, exc.detail) from exc
    return uow.registry.resident_by_rrn(rrn)


def _subject(uow: IssuanceUnitOfWork, cmd: IssueDocument, requester: Resident | None) -> Resident:
    subject: Resident | None
    if cmd.subject_resident_id:
        subject = uow.registry.resident(cmd.subject_resident_id)
    elif cmd.subject_rrn:
        subject = _by_rrn(uow, cmd.subject_rrn)
    else:
        subject = requester
    if subject is None:
        raise NotFound("registry.subject_not_found", "발급 대상자를 주민등록에서 찾을 수 없습니다.")
    return subject


def _relation(requester: Resident | None, subject: Resident) -> Relation:
    if requester is None:
        return Relation.OTHER
    if requester.id == subject.id:
        return Relation.SELF
    if requester.household_id and requester.household_id == subject.household_id:
        return Relation.HOUSEHOLD_MEMBER
    return Relation.OTHER


def _resident_dossier(uow: IssuanceUnitOfWork, subject: Resident) -> Dossier:
    household = uow.registry.household(subject.household_id) if subject.household_id else None
    members = tuple(uow.registry.members(household.id)) if household else ()
    head_addresses = (
        tuple(uow.registry.address_history(household.head_resident_id)) if household else ()
    )
    seal = uow.registry.seal(subject.id)
    seal_office = uow.registry.office(seal.office_code) if seal else None
    return Dossier(
        subject=subject,
        household=household,
        members=members,
        addresses=tuple(uow.registry.address_history(subject.id)),
        head_addresses=head_addresses,
        seal=seal,
        taxes=tuple(uow.registry.tax_records(subject.id)),
        seal_office_name=seal_office.name if seal_office else None,
    )
