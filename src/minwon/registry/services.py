"""Registry reads for the channels, and clerk look-ups of residents.

Every clerk look-up is audited (who, office, whom, why); the reads a page needs to draw a
form (the household, an office's name) show no full number.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from minwon.audit.model import Actor, AuditEvent
from minwon.errors import Forbidden, InvalidRequest, NotFound
from minwon.inputs import free_text, nfc
from minwon.registry.model import Resident
from minwon.registry.rrn import InvalidRrn, mask, parse

if TYPE_CHECKING:
    from minwon.clock import Clock
    from minwon.registry.ports import RegistryUnitOfWorks

CLERK = "clerk"  # the actor kind that may look residents up


@dataclass(frozen=True, slots=True)
class RegistryContext:
    """What registry use cases need, wired once in bootstrap.py."""

    uows: RegistryUnitOfWorks
    clock: Clock


@dataclass(frozen=True, slots=True)
class ResidentSummary:
    """What a clerk's search result shows: enough to pick the right person, no full number."""

    id: str
    name: str
    rrn_masked: str
    birth_date: date
    household_id: str | None
    address: str | None


def find_resident(
    ctx: RegistryContext,
    *,
    actor: Actor,
    purpose: str,
    name: str | None = None,
    birth_date: date | None = None,
    rrn: str | None = None,
) -> list[ResidentSummary]:
    """Finds residents by name and birth date, or by number; records an audit event each."""
    if actor.kind != CLERK:
        raise Forbidden("lookup.clerk_only", "주민 조회는 담당 공무원만 할 수 있습니다.")
    # Kept in the audit trail: in NFC and without a number in it, like every free text.
    purpose = free_text(purpose, what="조회 목적", field="purpose")
    if not purpose.strip():
        raise InvalidRequest("lookup.purpose_required", "조회 목적을 적어 주세요.")
    now = ctx.clock.now()
    with ctx.uows() as uow:
        found: list[Resident]
        if rrn:
            try:
                parse(rrn)
            except InvalidRrn as exc:
                raise InvalidRequest(exc.code, exc.detail) from exc
            one = uow.registry.resident_by_rrn(rrn)
            found = [one] if one else []
            method = "rrn"
        elif name and birth_date:
            # NFC: a name typed in NFD (macOS, some PDFs) is the same name.
            found = uow.registry.find_residents(name=nfc(name).strip(), birth_date=birth_date)
            method = "name_birth"
        else:
            raise InvalidRequest(
                "lookup.criteria", "이름과 생년월일, 또는 주민등록번호로 조회해 주세요."
            )
        results = []
        for resident in found:
            household = (
                uow.registry.household(resident.household_id) if resident.household_id else None
            )
            results.append(
                ResidentSummary(
                    id=resident.id,
                    name=resident.name,
                    rrn_masked=mask(resident.rrn),
                    birth_date=resident.birth_date,
                    household_id=resident.household_id,
                    address=household.address if household else None,
                )
            )
        uow.audit.record(
            AuditEvent(
                id=uuid.uuid4().hex,
                at=now,
                action="lookup",
                outcome=f"found:{len(results)}",
                actor_kind=actor.kind,
                actor_id=actor.id,
                channel=actor.channel,
                office_code=actor.office_code,
                subject_ref=f"resident:{results[0].id}" if len(results) == 1 else None,
                purpose=purpose.strip()[:200],
                detail={"method": method, "residents": [r.id for r in results]},
            )
        )
        uow.commit()
    return results


@dataclass(frozen=True, slots=True)
class HouseholdPerson:
    """A household member as a request form lists them: no number shown."""

    resident_id: str
    name: str
    relation: str
    is_self: bool


def household_of(ctx: RegistryContext, resident_id: str | None) -> list[HouseholdPerson]:
    """Returns the person first, then the other members of their household."""
    if resident_id is None:
        return []
    with ctx.uows(readonly=True) as uow:
        person = uow.registry.resident(resident_id)
        if person is None:
            return []
        members = uow.registry.members(person.household_id) if person.household_id else []
    people = [HouseholdPerson(person.id, person.name, "본인", True)]
    people += [
        HouseholdPerson(r.id, r.name, m.relation_to_head, False)
        for m, r in members
        if r.id != person.id
    ]
    return people


def resident(ctx: RegistryContext, resident_id: str) -> Resident:
    """Returns the resident with this id, or raises NotFound."""
    with ctx.uows(readonly=True) as uow:
        found = uow.registry.resident(resident_id)
    if found is None:
        raise NotFound("registry.subject_not_found", "주민등록에서 찾을 수 없습니다.")
    return found


def office_name(ctx: RegistryContext, office_code: str | None) -> str | None:
    """Returns the office's name, or None for an unknown code."""
    if not office_code:
        return None
    with ctx.uows(readonly=True) as uow:
        office = uow.registry.office(office_code)
    return office.name if office else None
