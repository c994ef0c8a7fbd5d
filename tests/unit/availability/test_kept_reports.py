"""/ops's reports are made at most once per TTL per period, however many ask (pure)."""

from __future__ import annotations

import threading
import time

import pytest

from minwon.operations.availability.kept_reports import KEPT_PERIODS, TTL_SECONDS, KeptReports
from minwon.operations.availability.period import Period
from minwon.operations.availability.report import AvailabilityReport, compute

NOVEMBER = Period(1_793_000_000.0, 1_795_592_000.0, "2026-11")
OCTOBER = Period(1_790_321_600.0, 1_793_000_000.0, "2026-10")


def _made(period: Period, now: float) -> AvailabilityReport:
    return compute([], [], period, target=99.95, now=now)


def test_a_report_is_kept_for_its_ttl_then_made_again() -> None:
    kept = KeptReports(_made)
    first = kept.report(NOVEMBER, now=2e9)
    assert kept.report(NOVEMBER, now=2e9 + TTL_SECONDS - 1) is first
    kept.report(OCTOBER, now=2e9)  # another month: its own report
    assert kept.computed == 2
    again = kept.report(NOVEMBER, now=2e9 + TTL_SECONDS)
    assert again is not first and again.generated_at == 2e9 + TTL_SECONDS
    # A clock that went back is no reason to trust what was kept.
    assert kept.report(NOVEMBER, now=2e9) is not again
    assert kept.computed == 4


def test_a_failure_is_not_kept() -> None:
    calls: list[float] = []

    def flaky(period: Period, now: float) -> AvailabilityReport:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("the database does not answer")
        return _made(period, now)

    kept = KeptReports(flaky)
    with pytest.raises(RuntimeError):
        kept.report(NOVEMBER, now=2e9)
    assert kept.report(NOVEMBER, now=2e9 + 1).generated_at == 2e9 + 1
    assert len(calls) == 2


def test_operators_asking_at_once_wait_for_one_report() -> None:
    def slow(period: Period, now: float) -> AvailabilityReport:
        time.sleep(0.2)
        return _made(period, now)

    kept = KeptReports(slow)
    got: list[AvailabilityReport] = []
    threads = [
        threading.Thread(target=lambda: got.append(kept.report(NOVEMBER, now=2e9)))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(got) == 4 and all(r is got[0] for r in got)
    assert kept.computed == 1


def test_only_the_last_periods_asked_for_are_kept() -> None:
    kept = KeptReports(_made)
    periods = [Period(1e9 + i * 100, 1e9 + i * 100 + 50, f"p{i}") for i in range(KEPT_PERIODS + 1)]
    for period in periods:
        kept.report(period, now=2e9)
    kept.report(periods[-1], now=2e9)
    assert kept.computed == KEPT_PERIODS + 1
    kept.report(periods[0], now=2e9)  # the oldest was let go
    assert kept.computed == KEPT_PERIODS + 2
