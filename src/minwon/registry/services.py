"""Clerk look-ups of residents. Every look-up is audited (who, office, whom, why)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from minwon.errors import Forbidden, InvalidRequest
from minwon.identity.model import Principal, PrincipalKind
from minwon.issuance.context import IssuanceContext
from minwon.issuance.records import AuditEvent
from minwon.registry.model import Resident
from minwon.registry.rrn import InvalidRrn, mask, parse


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
    ctx: IssuanceContext,
    *,
    principal: Principal,
    purpose: str,
    name: str | None = None,
    birth_date: date | None = None,
    rrn: str | None = None,
) -> list[ResidentSummary]:
    """Finds residents by name and birth date, or by number; records an audit event each."""
    if principal.kind is not PrincipalKind.CLERK:
        raise Forbidden("lookup.clerk_only", "주민 조회는 담당 공무원만 할 수 있습니다.")
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
            found = uow.registry.find_residents(name=name.strip(), birth_date=birth_date)
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
                actor_kind=principal.kind.value,
                actor_id=principal.id,
                channel=principal.channel.value,
                office_code=principal.office_code,
                subject_ref=f"resident:{results[0].id}" if len(results) == 1 else None,
                purpose=purpose.strip()[:200],
                detail={"method": method, "residents": [r.id for r in results]},
            )
        )
        uow.commit()
    return results
