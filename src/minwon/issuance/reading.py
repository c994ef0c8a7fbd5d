"""Reading issued documents: who may see which, and what a download or a list shows.

The API and the pages call these, so a rule is written once: the same answer for an
absent number and one the caller may not see (numbers must not be probed), no download
of a voided document, and a kiosk prints only what its current person just issued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from minwon.clock import KST
from minwon.errors import Forbidden, InvalidRequest, NotFound
from minwon.identity.model import Principal, PrincipalKind
from minwon.issuance.context import IssuanceContext
from minwon.issuance.numbers import InvalidNumber, normalise
from minwon.issuance.records import FeeRecord, IssuanceRecord, IssuanceStatus

SUPERVISOR = "supervisor"  # a clerk role that sees every office's records


@dataclass(frozen=True, slots=True)
class IssuanceEntry:
    """An issuance with the fee charged for it (None for a record without a fee row)."""

    record: IssuanceRecord
    fee: FeeRecord | None

    @property
    def valid(self) -> bool:
        return self.record.status is IssuanceStatus.VALID


def may_read(principal: Principal, record: IssuanceRecord) -> bool:
    """Returns True when ``principal`` may see ``record``: its requester, a clerk of the
    issuing office, or a supervisor."""
    if principal.kind is PrincipalKind.CLERK:
        return principal.role == SUPERVISOR or record.office_code == principal.office_code
    return record.requester_ref == principal.ref


def _number(text: str) -> str:
    try:
        return normalise(text)
    except InvalidNumber as exc:
        raise InvalidRequest(exc.code, exc.detail) from exc


def _not_found() -> NotFound:
    return NotFound("issuance.not_found", "해당 발급 기록이 없거나 조회 권한이 없습니다.")


def issuance_for(ctx: IssuanceContext, *, principal: Principal, number: str) -> IssuanceRecord:
    """Returns the issuance ``principal`` may see; one answer for absent and not-yours."""
    wanted = _number(number)
    with ctx.uows(readonly=True) as uow:
        record = uow.issuances.by_number(wanted)
    if record is None or not may_read(principal, record):
        raise _not_found()
    return record


def entry_for(ctx: IssuanceContext, *, principal: Principal, number: str) -> IssuanceEntry:
    """Returns the issuance ``principal`` may see with its fee."""
    record = issuance_for(ctx, principal=principal, number=number)
    with ctx.uows(readonly=True) as uow:
        return IssuanceEntry(record, uow.issuances.fee_for(record.id))


def check_downloadable(record: IssuanceRecord) -> None:
    """Raises Forbidden for a voided document: its PDF is not handed out again."""
    if record.status is not IssuanceStatus.VALID:
        raise Forbidden("issuance.voided", "발급이 취소된 문서는 내려받을 수 없습니다.")


def _with_fees(ctx: IssuanceContext, records: list[IssuanceRecord]) -> list[IssuanceEntry]:
    with ctx.uows(readonly=True) as uow:
        return [IssuanceEntry(r, uow.issuances.fee_for(r.id)) for r in records]


def issuances_of(ctx: IssuanceContext, *, principal: Principal) -> list[IssuanceEntry]:
    """Returns what ``principal`` requested, newest first, with fees (발급 내역)."""
    with ctx.uows(readonly=True) as uow:
        records = uow.issuances.for_requester(principal.ref)
    return _with_fees(ctx, records)


def office_register(
    ctx: IssuanceContext, *, principal: Principal, office_code: str, day: date | None = None
) -> list[IssuanceEntry]:
    """Returns an office's 교부대장 for a day (KST, today by default): its own clerks and
    supervisors only."""
    if principal.kind is not PrincipalKind.CLERK:
        raise Forbidden("auth.clerk_only", "담당 공무원만 이용할 수 있습니다.")
    if office_code != principal.office_code and principal.role != SUPERVISOR:
        raise Forbidden("register.other_office", "다른 기관의 교부대장은 볼 수 없습니다.")
    day = day or ctx.clock.now().astimezone(KST).date()
    start = datetime.combine(day, time.min, tzinfo=KST)
    with ctx.uows(readonly=True) as uow:
        records = uow.issuances.for_office_on(office_code, start)
    return _with_fees(ctx, records)


def kiosk_printable(
    ctx: IssuanceContext, *, principal: Principal, number: str, session_minutes: int
) -> IssuanceRecord:
    """Returns a record the person at a kiosk may print now.

    Every person at a kiosk shares its requester ref: print only what was issued within
    the session's lifetime for the identified person's own household (or a building).
    """
    record = issuance_for(ctx, principal=principal, number=number)
    household: set[str] = set()
    if principal.resident_id is not None:
        with ctx.uows(readonly=True) as uow:
            person = uow.registry.resident(principal.resident_id)
            if person is not None:
                household.add(f"resident:{person.id}")
                if person.household_id:
                    members = uow.registry.members(person.household_id)
                    household.update(f"resident:{r.id}" for _, r in members)
    recent = record.issued_at >= ctx.clock.now() - timedelta(minutes=session_minutes)
    if not recent or not (
        record.subject_ref in household or record.subject_ref.startswith("building:")
    ):
        raise _not_found()
    return record


def ready(ctx: IssuanceContext) -> bool:
    """Returns True when the database answers now (``/readyz``; the kiosk asks before a
    flow starts, so a person is told plainly instead of failing mid-way)."""
    try:
        with ctx.uows(readonly=True) as uow:
            uow.ping()
    except Exception:
        return False
    return True
