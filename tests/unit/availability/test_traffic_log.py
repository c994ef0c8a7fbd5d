"""The per-minute traffic of each instance and channel is kept whole: a minute written
again replaces the stored one (a retry never doubles a count), and bad rows are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from minwon.adapters.database import make_engine
from minwon.adapters.migrate import upgrade
from minwon.operations.availability.sql import SqlTrafficLog
from minwon.operations.availability.traffic import (
    LATENCY_BOUNDS_MS,
    ChannelMinute,
    MemoryTrafficLog,
    TrafficLog,
    empty_latency,
    minute_of,
)

T0 = 1_796_083_200.0  # 2026-12-01 00:00 UTC


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    return engine


def latency(*counts: int) -> tuple[int, ...]:
    return tuple(counts) + (0,) * (len(LATENCY_BOUNDS_MS) + 1 - len(counts))


@pytest.mark.parametrize("kind", ["sql", "memory"])
def test_a_minute_written_again_replaces_the_stored_one(engine: Engine, kind: str) -> None:
    log: TrafficLog = SqlTrafficLog(engine) if kind == "sql" else MemoryTrafficLog()
    first = ChannelMinute("app:1", T0, "kiosk", ok=3, failed=1, issued=2, latency=latency(1, 3))
    log.record([first])
    again = ChannelMinute("app:1", T0, "kiosk", ok=7, failed=1, issued=5, latency=latency(4, 4))
    other = ChannelMinute("app:2", T0, "kiosk", ok=1)
    later = ChannelMinute("app:1", T0 + 60, "verification", ok=9, latency=latency(9))
    log.record([again, other, later])
    log.record([again])
    assert log.between(T0, T0 + 60) == [again, other]
    assert log.between(T0, T0 + 120) == [again, other, later]
    assert log.between(T0 + 60, T0 + 61) == [later]
    assert log.between(T0 - 60, T0) == []
    assert again.requests == 8


def test_rows_that_cannot_be_true_are_refused() -> None:
    with pytest.raises(ValueError, match="channel"):
        ChannelMinute("app:1", T0, "fax")
    with pytest.raises(ValueError, match="minute"):
        ChannelMinute("app:1", T0 + 1, "online")
    with pytest.raises(ValueError, match="bucket"):
        ChannelMinute("app:1", T0, "online", latency=(1, 2))
    with pytest.raises(ValueError, match="negative"):
        ChannelMinute("app:1", T0, "online", failed=-1)
    assert sum(empty_latency()) == 0
    assert minute_of(T0 + 59.9) == T0
    assert minute_of(T0 + 60) == T0 + 60
