"""Clerk look-ups of residents (audited)."""

from __future__ import annotations

from fastapi import APIRouter

from minwon.registry.services import find_resident
from minwon.web.deps import ClerkDep, ContainerDep
from minwon.web.schemas import ResidentOut, ResidentSearchIn

router = APIRouter(prefix="/residents", tags=["registry"])


@router.post(
    "/search", response_model=list[ResidentOut], summary="주민 조회 (담당 공무원, 감사 기록)"
)
def search(body: ResidentSearchIn, c: ContainerDep, p: ClerkDep) -> list[ResidentOut]:
    # POST, not GET: a number in a query string would end up in access logs.
    found = find_resident(
        c.registry,
        actor=p.actor,
        purpose=body.purpose,
        name=body.name,
        birth_date=body.birth_date,
        rrn=body.rrn,
    )
    return [
        ResidentOut(
            id=r.id,
            name=r.name,
            rrn_masked=r.rrn_masked,
            birth_date=r.birth_date,
            household_id=r.household_id,
            address=r.address,
        )
        for r in found
    ]
