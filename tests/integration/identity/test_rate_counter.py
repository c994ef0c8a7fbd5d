"""Rate limits hold across instances sharing one database, with few writes for large limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from minwon.adapters import tables as t
from minwon.adapters.migrate import upgrade
from minwon.bootstrap import Container, bootstrap
from minwon.config import Settings
from minwon.identity.rates import FLUSH_SECONDS, RateCounter, batch_size

WINDOW_START = 1_800_000_000  # a whole minute: windows are aligned to 60 s


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.value = 0.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def container(database_url: str, keys_dir: Path, tmp_path: Path) -> Iterator[Container]:
    c = bootstrap(
        Settings.from_env(data_dir=tmp_path, database_url=database_url, keys_dir=keys_dir)
    )
    upgrade(c.engine)
    try:
        yield c
    finally:
        c.close()


def _counter(c: Container, ticker: Ticker, at: list[float]) -> RateCounter:
    return RateCounter(c.uows, now=lambda: at[0], monotonic=ticker)


def _stored(c: Container, bucket: str) -> int:
    table = t.rate_limit_windows
    with c.engine.connect() as conn:
        found = conn.execute(select(table.c.hits).where(table.c.bucket == bucket)).scalar()
    return int(found or 0)


def test_small_limits_are_written_hit_by_hit_and_hold_exactly(container: Container) -> None:
    ticker, at = Ticker(), [float(WINDOW_START)]
    first, second = _counter(container, ticker, at), _counter(container, ticker, at)
    assert batch_size(10) == 0
    allowed = 0
    for n in range(14):
        verdict = (first if n % 2 else second).hit("login:citizen:kim", 10)
        allowed += verdict.allowed
        assert _stored(container, "login:citizen:kim") == n + 1
    assert allowed == 10


def test_large_limits_are_written_in_batches_not_per_hit(container: Container) -> None:
    ticker, at = Ticker(), [float(WINDOW_START)]
    counter = _counter(container, ticker, at)
    limit = 1000
    batch = batch_size(limit)
    assert batch == 50
    for _ in range(batch - 1):
        assert counter.hit("verify:10.0.0.1", limit).allowed
    assert _stored(container, "verify:10.0.0.1") == 0
    counter.hit("verify:10.0.0.1", limit)
    assert _stored(container, "verify:10.0.0.1") == batch


def test_held_hits_reach_the_database_within_a_second(container: Container) -> None:
    ticker, at = Ticker(), [float(WINDOW_START)]
    counter = _counter(container, ticker, at)
    for _ in range(3):
        counter.hit("verify:10.0.0.2", 1000)
    assert _stored(container, "verify:10.0.0.2") == 0
    ticker.value += FLUSH_SECONDS
    counter.hit("verify:10.0.0.2", 1000)
    assert _stored(container, "verify:10.0.0.2") == 4


def test_two_instances_together_stay_within_the_limit_plus_one_batch(
    container: Container,
) -> None:
    ticker, at = Ticker(), [float(WINDOW_START)]
    instances = [_counter(container, ticker, at) for _ in range(2)]
    limit = 200
    allowed = sum(instances[n % 2].hit("verify:10.0.0.3", limit).allowed for n in range(400))
    assert limit <= allowed <= limit + batch_size(limit)


def test_a_new_window_starts_from_zero_and_says_when_to_retry(container: Container) -> None:
    ticker, at = Ticker(), [float(WINDOW_START + 15)]
    counter = _counter(container, ticker, at)
    for _ in range(3):
        counter.hit("login:clerk:lee", 2)
    refused = counter.hit("login:clerk:lee", 2)
    assert not refused.allowed
    assert refused.retry_after == 45
    at[0] = WINDOW_START + 60.0
    assert counter.hit("login:clerk:lee", 2).allowed
