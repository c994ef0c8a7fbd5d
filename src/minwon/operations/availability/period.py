"""The period a report covers: a month or a run of days of the city's calendar (KST).

Pure: standard library and ``minwon.clock``'s KST. A period is the half-open interval
[start, end) of wall seconds; ``--month 2026-11`` is 2026-11-01 00:00 KST up to
2026-12-01 00:00 KST, ``--from 2026-11-03 --to 2026-11-09`` the seven days from the 3rd
to the 9th inclusive. With neither, the last full month before today (KST).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from minwon.clock import KST

DAY = 86_400.0


class PeriodError(ValueError):
    """A period the report cannot cover; ``code`` is stable, the message Korean."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Period:
    """[start, end) in wall seconds, with how a person names it."""

    start: float
    end: float
    label: str  # "2026-11" or "2026-11-03 ~ 2026-11-09"

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def days(self) -> list[tuple[str, float, float]]:
        """Returns each KST day of the period: its date, start and end (KST has no DST)."""
        out: list[tuple[str, float, float]] = []
        at = self.start
        while at < self.end:
            day = datetime.fromtimestamp(at, KST).date().isoformat()
            out.append((day, at, min(at + DAY, self.end)))
            at += DAY
        return out


def _midnight(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=KST).timestamp()


def month(text: str) -> Period:
    """Returns the KST month named ``YYYY-MM``."""
    found = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not found or not 1 <= int(found[2]) <= 12 or int(found[1]) < 2000:
        raise PeriodError(
            "report.month", f"달 '{text}'을(를) 알 수 없습니다: YYYY-MM (예: 2026-11)."
        )
    year, number = int(found[1]), int(found[2])
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return Period(_midnight(first), _midnight(following), f"{year:04d}-{number:02d}")


def days(first: str, last: str) -> Period:
    """Returns the KST days from `first` to `last`, both included (``YYYY-MM-DD``)."""
    try:
        begin, finish = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
    except ValueError:
        raise PeriodError(
            "report.date", f"날짜 '{first}' ~ '{last}'을(를) 알 수 없습니다: YYYY-MM-DD."
        ) from None
    if finish < begin:
        raise PeriodError("report.range", "끝 날짜(--to)가 시작 날짜(--from)보다 앞섭니다.")
    return Period(
        _midnight(begin),
        _midnight(finish + timedelta(days=1)),
        f"{begin.isoformat()} ~ {finish.isoformat()}",
    )


def last_month(now: float) -> Period:
    """Returns the last full KST month before the one holding `now`."""
    today = datetime.fromtimestamp(now, KST).date()
    previous = today.replace(day=1) - timedelta(days=1)
    return month(f"{previous.year:04d}-{previous.month:02d}")


def choose(*, month_text: str | None, first: str | None, last: str | None, now: float) -> Period:
    """Returns the period asked for (a month, or --from/--to, or the last full month);
    refuses both at once, half a range and a period that has not begun."""
    if month_text and (first or last):
        raise PeriodError("report.period", "--month와 --from/--to는 함께 쓸 수 없습니다.")
    if bool(first) != bool(last):
        raise PeriodError("report.range", "--from과 --to는 함께 써야 합니다.")
    if month_text:
        period = month(month_text)
    elif first and last:
        period = days(first, last)
    else:
        period = last_month(now)
    if period.start > now:
        raise PeriodError(
            "report.future", f"기간 {period.label}은(는) 아직 시작되지 않아 보고할 수 없습니다."
        )
    return period
