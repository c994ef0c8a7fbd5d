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
from minwon.issuance import entitlement, probes
from minwon.issuance.commands import IssueDocument
from minwon.issuance.context import IssuanceContext
from minwon.issuance.model import (
    Decision,
    EntitlementRequest,
    Permit,
    ProxyFacts,
    Relation,
    SubjectFacts,
)
from minwon.issuance.parties import Applicant, Identification, same_name
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
    applicant: Applicant
    subscribed: bool = False  # the subject asked to be told of copies others obtain
    probe: bool = False  # a probe document (issuance/probes.py): decided by the registry


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
    requester, identified = _requester(uow, principal, cmd)
    name_matches = _name_matches(cmd, requester, principal)
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
    probe = probes.is_probe(requester, dossier.subject)
    # Probe documents are issued at the probe office, whoever asks and wherever (a
    # production database may have no other office yet).
    office_code = principal.office_code or ctx.online_office_code
    office = uow.registry.office(probes.PROBE_OFFICE.code if probe else office_code)
    if office is None:
        raise NotFound("office.not_found", "발급 기관 정보를 찾을 수 없습니다.")
    applicant_rrn = _applicant_rrn(principal, cmd, requester)
    proxy = None
    if cmd.proxy is not None:
        # The age comes from the proxy's own number (in the registry or not), never typed.
        born = parse(applicant_rrn).birth_date if applicant_rrn else None
        proxy = ProxyFacts(
            age=age_on(born, today) if born else None,
            delegate_id_checked=cmd.proxy.delegate_id_checked,
            delegator_id_checked=cmd.proxy.delegator_id_checked,
            fingerprint_taken=(
                cmd.proxy.fingerprint_taken or cmd.proxy.fingerprint_capture is not None
            ),
        )
    decision = entitlement.decide(
        EntitlementRequest(
            document=document,
            channel=principal.channel,
            relation=relation,
            today=today,
            requester_identified=identified,
            requester_name_matches=name_matches,
            delegation=cmd.delegation,
            ground=cmd.ground,
            purpose=cmd.purpose,
            items=cmd.items,
            proxy=proxy,
            subject=facts,
        )
    )
    applicant = _applicant(principal, cmd, requester, applicant_rrn, relation, decision)
    # One read, only for a third party's 등·초본: the issuing transaction then writes the
    # notice in one insert (주민등록표 등·초본 교부 사실 통보).
    subscribed = (
        document.notify_subscribers
        and relation is Relation.OTHER
        and isinstance(decision, Permit)
        and dossier.subject is not None
        and uow.notices.wants_copy_notices(dossier.subject.id)
    )
    return Assessment(
        office,
        requester,
        dossier,
        relation,
        subject_ref,
        decision,
        applicant,
        subscribed and not probe,
        probe,
    )


def _applicant_rrn(
    principal: Principal, cmd: IssueDocument, requester: Resident | None
) -> str | None:
    """Returns the applicant's number: as the clerk copied it from the ID card, or the
    registry's for a person a kiosk or a login identified."""
    if principal.kind is PrincipalKind.CLERK:
        return cmd.requester.rrn if cmd.requester and cmd.requester.rrn else None
    return requester.rrn if requester else None


def _name_matches(cmd: IssueDocument, requester: Resident | None, principal: Principal) -> bool:
    """False when the name given at the counter is not the registry's name for the number
    given ("아무개" with another resident's number)."""
    if principal.kind is not PrincipalKind.CLERK or cmd.requester is None or requester is None:
        return True
    return same_name(cmd.requester.name, requester.name)


def _applicant(
    principal: Principal,
    cmd: IssueDocument,
    requester: Resident | None,
    rrn: str | None,
    relation: Relation,
    decision: Decision,
) -> Applicant:
    """Returns who applied and what was seen, as the issuance records it."""
    if principal.kind is PrincipalKind.CLERK:
        name = cmd.requester.name if cmd.requester else ""
        how, checked, by = (
            Identification.ID_CARD,
            bool(cmd.requester and cmd.requester.id_checked),
            principal.id,
        )
    else:
        name = requester.name if requester else ""
        how = (
            Identification.LOGIN
            if principal.kind is PrincipalKind.CITIZEN
            else Identification.FINGERPRINT
        )
        checked, by = requester is not None, None
    proxy = cmd.proxy
    return Applicant(
        name=name,
        rrn=rrn.replace("-", "") if rrn else None,
        resident_id=requester.id if requester else None,
        relation=relation,
        requester_class=decision.requester_class if isinstance(decision, Permit) else "refused",
        identification=how,
        id_checked=checked,
        checked_by=by,
        ground=cmd.ground,
        purpose=cmd.purpose,
        delegation=cmd.delegation,
        delegate_id_checked=proxy.delegate_id_checked if proxy else None,
        delegator_id_checked=proxy.delegator_id_checked if proxy else None,
        fingerprint_taken=(
            (proxy.fingerprint_taken or proxy.fingerprint_capture is not None) if proxy else None
        ),
        fingerprint_capture=proxy.fingerprint_capture if proxy else None,
    )


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
