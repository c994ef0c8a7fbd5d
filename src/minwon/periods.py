"""Legal period arithmetic (민법 제155조-제161조): pure functions of dates.

A period "from day X for N months" does not count day X itself (제157조 초일 불산입,
unless it starts at midnight), is counted by the calendar (제160조①), and ends at the end
(제159조) of the day before the same-numbered day of the last month (제160조②), or at the
end of that month when it has no such day (제160조③). Entitlement (a 위임장's validity)
and deadline rules use these without importing each other.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, tzinfo


def add_months(day: date, months: int) -> date:
    """Returns ``day`` moved by ``months`` on the calendar, clamped to the month's end
    (제160조①③): 1월 31일 + 1개월 = 2월 28일 (윤년 29일)."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def last_day_of_months(start: date, months: int) -> date:
    """Returns the last day (inclusive) of a period of ``months`` counted from ``start``,
    ``start`` itself not counted (제157조).

    The count begins the next day; the period ends the day before the same-numbered day
    in the last month (제160조②), which is ``start``'s own number: 1월 10일부터 3개월 →
    4월 10일까지. Where the last month has no such day it ends with the month (제160조③):
    11월 30일부터 3개월 → 2월 말일까지.
    """
    if months < 0:
        raise ValueError("a period cannot have a negative length")
    return add_months(start, months)


def last_day_of_days(start: date, days: int) -> date:
    """Returns the last day (inclusive) of a period of ``days`` counted from ``start``,
    ``start`` itself not counted (제157조): 3월 1일부터 14일 → 3월 15일까지."""
    if days < 0:
        raise ValueError("a period cannot have a negative length")
    return start + timedelta(days=days)


def end_of_days(moment: datetime, days: int, zone: tzinfo) -> datetime:
    """Returns the instant a period of ``days`` counted from ``moment``'s day ends: the
    midnight (in ``zone``) after its last day, that day counted whole (제159조)."""
    last = last_day_of_days(moment.astimezone(zone).date(), days)
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
