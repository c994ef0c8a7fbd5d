"""Retrying a unit of work: Unavailable is retried until the time runs out, then raised."""

from __future__ import annotations

import time

import pytest

from minwon.errors import Conflict, Unavailable
from minwon.storage import retry_transient


def _lost() -> Unavailable:
    return Unavailable("database.unavailable", "데이터베이스 전환 중입니다.", retry_after=1)


def test_a_failover_that_ends_in_time_is_ridden_out() -> None:
    calls = []

    def attempt() -> str:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise _lost()
        return "issued"

    assert retry_transient(attempt, seconds=5, first_pause=0.01) == "issued"
    assert len(calls) == 3


def test_when_the_time_runs_out_the_caller_gets_unavailable() -> None:
    calls = 0

    def attempt() -> str:
        nonlocal calls
        calls += 1
        raise _lost()

    started = time.monotonic()
    with pytest.raises(Unavailable) as err:
        retry_transient(attempt, seconds=0.3, first_pause=0.01)
    assert err.value.code == "database.unavailable" and err.value.status == 503
    assert calls >= 2 and time.monotonic() - started < 1.0


def test_other_errors_are_not_retried() -> None:
    calls = 0

    def attempt() -> str:
        nonlocal calls
        calls += 1
        raise Conflict("idempotency.in_flight", "같은 요청을 처리하고 있습니다.")

    with pytest.raises(Conflict):
        retry_transient(attempt, seconds=5, first_pause=0.01)
    assert calls == 1
