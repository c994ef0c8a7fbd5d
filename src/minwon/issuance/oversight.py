"""감독 기록: what a supervisor reviews of an office's day: refusals, refused reads and
actions, failed voids and resident look-ups, read from the audit trail.

A supervisor (or the auditor) sees the offices their role covers, their own by default;
looking is itself recorded. Clerks see none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from minwon.audit.model import AuditEvent
from minwon.clock import KST
from minwon.errors import Forbidden, InvalidRequest
from minwon.identity.model import Principal
from minwon.identity.roles import role_of
from minwon.issuance.access import DENY, in_scope, record_access

if TYPE_CHECKING:
    from minwon.issuance.context import IssuanceContext

OVERSIGHT = "oversight"
# The actions a supervisor reviews, and how the page names them.
REVIEWED = {
    "refuse": "발급 거부",
    DENY: "열람·처리 거부",
    "void": "발급 취소 실패",
    "lookup": "주민 조회",
}
ROWS = 500  # at most, newest first, for one office and day
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(9999, 12, 30)  # a day whose bounds exist


@dataclass(frozen=True, slots=True)
class OfficeDay:
    office_code: str
    day: date
    events: list[AuditEvent]

    @property
    def refusals(self) -> int:
        return sum(1 for e in self.events if e.action != "lookup")

    @property
    def lookups(self) -> int:
        return sum(1 for e in self.events if e.action == "lookup")


def office_day(
    ctx: IssuanceContext, *, principal: Principal, office_code: str | None, day: date | None
) -> OfficeDay:
    """Returns an office's refusals and look-ups of a day (KST, today by default)."""
    office = office_code or principal.office_code or ""
    day = day or ctx.clock.now().astimezone(KST).date()
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidRequest("oversight.day", "날짜는 2000-01-01부터 9999-12-30 사이여야 합니다.")
    asked = {"office": office, "day": day.isoformat()}
    role = role_of(principal)
    if role is None or not role.oversees:
        error = Forbidden("oversight.supervisor_only", "감독 기록은 감독 공무원만 볼 수 있습니다.")
        detail = {**asked, "attempt": OVERSIGHT}
        record_access(ctx, principal, action=DENY, outcome=error.code, detail=detail)
        raise error
    start = datetime.combine(day, time.min, tzinfo=KST)
    with ctx.uows(readonly=True) as uow:
        allowed = in_scope(uow, principal, office)
        events = (
            uow.audit.office_events(
                office_code=office,
                since=start,
                until=start + timedelta(days=1),
                actions=tuple(REVIEWED),
                limit=ROWS,
            )
            if allowed
            else []
        )
    if not allowed:
        error = Forbidden(
            "oversight.other_office", "담당 지역이 아닌 기관의 감독 기록은 볼 수 없습니다."
        )
        detail = {**asked, "attempt": OVERSIGHT}
        record_access(ctx, principal, action=DENY, outcome=error.code, detail=detail)
        raise error
    shown = [e for e in events if not (e.action == "void" and e.outcome == "voided")]
    record_access(
        ctx, principal, action=OVERSIGHT, outcome="shown", detail={**asked, "count": len(shown)}
    )
    return OfficeDay(office, day, shown)
