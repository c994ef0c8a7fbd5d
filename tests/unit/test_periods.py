"""Legal periods as the Civil Act counts them (민법 제157조, 제159조, 제160조)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minwon.periods import add_months, end_of_days, last_day_of_days, last_day_of_months


@pytest.mark.parametrize(
    ("start", "months", "last"),
    [
        (date(2026, 1, 10), 3, date(2026, 4, 10)),  # 제157조: 1월 10일 not counted
        (date(2025, 11, 30), 3, date(2026, 2, 28)),  # 제160조③: no 2월 30일
        (date(2023, 11, 30), 3, date(2024, 2, 29)),  # a leap year's February
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),  # 인감 위임장: 6개월
        (date(2026, 12, 15), 1, date(2027, 1, 15)),  # over the year's end
        (date(2026, 3, 1), 0, date(2026, 3, 1)),
    ],
)
def test_a_period_of_months_ends_the_day_before_the_starting_number(
    start: date, months: int, last: date
) -> None:
    assert last_day_of_months(start, months) == last


def test_a_period_of_days_does_not_count_its_first_day() -> None:
    # 전입신고 within 14 days of moving on 3월 1일: the last day is 3월 15일.
    assert last_day_of_days(date(2026, 3, 1), 14) == date(2026, 3, 15)


def test_a_negative_length_is_refused() -> None:
    with pytest.raises(ValueError):
        last_day_of_months(date(2026, 1, 1), -1)
    with pytest.raises(ValueError):
        last_day_of_days(date(2026, 1, 1), -1)


days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


@given(days, st.integers(min_value=0, max_value=1200))
def test_moving_by_months_lands_in_the_right_month_and_never_past_its_end(
    day: date, months: int
) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == day.day or (moved.day < day.day and (moved + timedelta(1)).day == 1)


@given(days, st.integers(min_value=1, max_value=120))
def test_a_longer_period_never_ends_sooner(day: date, months: int) -> None:
    assert last_day_of_months(day, months) >= last_day_of_months(day, months - 1)
    assert last_day_of_months(day, months) > day


KST = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("issued", "ends"),
    [
        # Issued in the afternoon: 30 days, the day of issue not counted, the last whole.
        (datetime(2026, 12, 3, 15, 20, tzinfo=KST), datetime(2027, 1, 3, 0, 0, tzinfo=KST)),
        # 23:59 KST is still that day; 00:00 KST the next (UTC dates differ from both).
        (datetime(2026, 12, 3, 23, 59, tzinfo=KST), datetime(2027, 1, 3, 0, 0, tzinfo=KST)),
        (datetime(2026, 12, 3, 15, 0, tzinfo=UTC), datetime(2027, 1, 4, tzinfo=KST)),
    ],
)
def test_a_period_of_days_ends_at_the_midnight_after_its_last_day(
    issued: datetime, ends: datetime
) -> None:
    assert end_of_days(issued, 30, KST) == ends
    assert end_of_days(issued, 30, KST).time() == time(0)
