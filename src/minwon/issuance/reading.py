"""Reading issued documents: who may see which, and what a download or a list shows.

The API and the pages call these, so a rule is written once: the same answer for an
absent number and one the caller may not see (numbers must not be probed), no download
of a voided document, and a kiosk shows only what its current person obtained in this
session. Every read, and every refusal, is audited (issuance/access.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from minwon.clock import KST
from minwon.errors import Forbidden, InvalidRequest, NotFound
from minwon.identity.model import Principal, PrincipalKind
from minwon.issuance.access import DENY, DOWNLOAD, LIST, READ, REGISTER, in_scope, may_read
from minwon.issuance.access import record_access as _audit
from minwon.issuance.context import IssuanceContext
from minwon.issuance.numbers import InvalidNumber, normalise
from minwon.issuance.records import FeeRecord, IssuanceRecord, IssuanceStatus


@dataclass(frozen=True, slots=True)
class IssuanceEntry:
    """An issuance with the fee charged for it (None for a record without a fee row)."""

    record: IssuanceRecord
    fee: FeeRecord | None

    @property
    def valid(self) -> bool:
        return self.record.status is IssuanceStatus.VALID


def _number(text: str) -> str:
    try:
        return normalise(text)
    except InvalidNumber as exc:
        raise InvalidRequest(exc.code, exc.detail) from exc


def _not_found() -> NotFound:
    return NotFound("issuance.not_found", "해당 발급 기록이 없거나 조회 권한이 없습니다.")


def _readable(
    ctx: IssuanceContext, principal: Principal, number: str
) -> tuple[str, IssuanceRecord | None, bool]:
    wanted = _number(number)
    with ctx.uows(readonly=True) as uow:
        record = uow.issuances.by_number(wanted)
        allowed = record is not None and may_read(uow, principal, record)
    return wanted, record, allowed


def _refused(
    ctx: IssuanceContext,
    principal: Principal,
    action: str,
    number: str,
    record: IssuanceRecord | None,
) -> NotFound:
    """Records a refused read (of someone else's record, or of a number nobody holds)
    and returns the one answer for both."""
    error = _not_found()
    detail = {"attempt": action, "number": number, "exists": record is not None}
    _audit(ctx, principal, action=DENY, outcome=error.code, record=record, detail=detail)
    return error


def issuance_for(
    ctx: IssuanceContext, *, principal: Principal, number: str, action: str = READ
) -> IssuanceRecord:
    """Returns the issuance ``principal`` may see, recording the read (``action``: a view,
    or ``DOWNLOAD`` of its PDF, refused for a voided one); one answer for absent and
    not-yours, and both recorded as refused."""
    wanted, record, allowed = _readable(ctx, principal, number)
    if record is None or not allowed:
        raise _refused(ctx, principal, action, wanted, record)
    if action == DOWNLOAD and record.status is not IssuanceStatus.VALID:
        _audit(ctx, principal, action=action, outcome="issuance.voided", record=record)
        check_downloadable(record)
    _audit(ctx, principal, action=action, outcome="shown", record=record)
    return record


def entry_for(ctx: IssuanceContext, *, principal: Principal, number: str) -> IssuanceEntry:
    """Returns the issuance ``principal`` may see with its fee (a recorded view)."""
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
    """Returns what ``principal`` requested, newest first, with fees (발급 내역); at a
    kiosk, what this kiosk session obtained. The listing is recorded."""
    if principal.kind is PrincipalKind.KIOSK and not principal.session:
        records: list[IssuanceRecord] = []
    else:
        with ctx.uows(readonly=True) as uow:
            records = uow.issuances.for_requester(principal.ref)
    _audit(ctx, principal, action=LIST, outcome="shown", detail={"count": len(records)})
    return _with_fees(ctx, records)


def office_register(
    ctx: IssuanceContext, *, principal: Principal, office_code: str, day: date | None = None
) -> list[IssuanceEntry]:
    """Returns an office's 교부대장 for a day (KST, today by default): to the staff whose
    role covers the office (identity/roles.py). Shown or refused, it is recorded."""
    if principal.kind is not PrincipalKind.CLERK:
        raise Forbidden("auth.clerk_only", "담당 공무원만 이용할 수 있습니다.")
    day = day or ctx.clock.now().astimezone(KST).date()
    start = datetime.combine(day, time.min, tzinfo=KST)
    with ctx.uows(readonly=True) as uow:
        allowed = in_scope(uow, principal, office_code)
        records = uow.issuances.for_office_on(office_code, start) if allowed else []
    detail = {"office": office_code, "day": day.isoformat()}
    if not allowed:
        error = Forbidden(
            "register.other_office", "담당 지역이 아닌 기관의 교부대장은 볼 수 없습니다."
        )
        _audit(
            ctx, principal, action=DENY, outcome=error.code, detail={**detail, "attempt": REGISTER}
        )
        raise error
    _audit(
        ctx, principal, action=REGISTER, outcome="shown", detail={**detail, "count": len(records)}
    )
    return _with_fees(ctx, records)


def kiosk_printable(
    ctx: IssuanceContext,
    *,
    principal: Principal,
    number: str,
    session_minutes: int,
    action: str = READ,
) -> IssuanceRecord:
    """Returns a record the person at a kiosk may see or print (``DOWNLOAD``) now.

    Only what this kiosk session obtained (its requester ref), and besides, only what was
    issued within the session's lifetime for the person's own household (or a building).
    """
    wanted, record, allowed = _readable(ctx, principal, number)
    household: set[str] = set()
    if allowed and principal.resident_id is not None:
        with ctx.uows(readonly=True) as uow:
            person = uow.registry.resident(principal.resident_id)
            if person is not None:
                household.add(f"resident:{person.id}")
                if person.household_id:
                    members = uow.registry.members(person.household_id)
                    household.update(f"resident:{r.id}" for _, r in members)
    if record is None or not allowed:
        raise _refused(ctx, principal, action, wanted, record)
    recent = record.issued_at >= ctx.clock.now() - timedelta(minutes=session_minutes)
    if not recent or not (
        record.subject_ref in household or record.subject_ref.startswith("building:")
    ):
        raise _refused(ctx, principal, action, wanted, record)
    if action == DOWNLOAD and record.status is not IssuanceStatus.VALID:
        _audit(ctx, principal, action=action, outcome="issuance.voided", record=record)
        check_downloadable(record)
    _audit(ctx, principal, action=action, outcome="shown", record=record)
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
