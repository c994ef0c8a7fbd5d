"""An instance's requests per channel and minute reach the traffic log whole: minutes split
at their boundaries, a database that is away loses nothing and a write that is repeated
counts nothing twice, and the issuance gap says what its HELP says."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from minwon.adapters.database import make_engine
from minwon.adapters.migrate import upgrade
from minwon.operations.availability.flusher import TrafficFlusher
from minwon.operations.availability.recorder import ChannelRecorder, bucket_of
from minwon.operations.availability.sql import SqlTrafficLog
from minwon.operations.availability.traffic import (
    CHANNELS,
    LATENCY_BOUNDS_MS,
    ChannelMinute,
    MemoryTrafficLog,
)

T0 = 1_796_083_200.0  # 2026-12-01 00:00 UTC


class Wall:
    """A wall clock the test moves."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def test_latency_buckets_hold_up_to_their_bound_and_the_last_the_rest() -> None:
    assert bucket_of(0.0) == 0 and bucket_of(0.025) == 0 and bucket_of(0.0251) == 1
    assert bucket_of(1.0) == LATENCY_BOUNDS_MS.index(1000)
    assert bucket_of(5.0) == len(LATENCY_BOUNDS_MS) - 1
    assert bucket_of(5.001) == len(LATENCY_BOUNDS_MS) and bucket_of(600) == len(LATENCY_BOUNDS_MS)


def test_requests_fall_into_the_minute_they_ended_in_per_channel() -> None:
    wall = Wall(T0 + 59.999)
    rec = ChannelRecorder("app:a", clock=wall)
    rec.record("kiosk", ok=True, seconds=0.01, issued=True)
    rec.record("kiosk", ok=False, seconds=7.0)
    rec.record("online", ok=True, seconds=0.3)
    wall.at = T0 + 60.0
    rec.record("kiosk", ok=True, seconds=0.06)
    rows = {(m.minute, m.channel): m for m in rec.unwritten()}
    assert set(rows) == {(T0, "kiosk"), (T0, "online"), (T0 + 60, "kiosk")}
    first = rows[(T0, "kiosk")]
    assert (first.ok, first.failed, first.issued, first.instance) == (1, 1, 1, "app:a")
    assert first.latency[0] == 1 and first.latency[-1] == 1 and sum(first.latency) == 2
    assert rows[(T0, "online")].latency[bucket_of(0.3)] == 1
    assert rows[(T0 + 60, "kiosk")].requests == 1
    with pytest.raises(ValueError, match="channel"):
        rec.record("fax", ok=True, seconds=0.1)


def test_a_failed_request_never_counts_as_issued() -> None:
    rec = ChannelRecorder("app:a", clock=Wall(T0))
    rec.record("counter", ok=False, seconds=0.1, issued=True)
    (row,) = rec.unwritten()
    assert (row.ok, row.failed, row.issued) == (0, 1, 0)


def test_database_away_then_back_nothing_lost_nothing_counted_twice(tmp_path: Path) -> None:
    # The database file's folder does not exist yet: every write fails as a real one would.
    engine = make_engine(f"sqlite:///{tmp_path / 'later' / 'db.sqlite'}")
    log = SqlTrafficLog(engine)
    wall = Wall(T0 + 5)
    rec = ChannelRecorder("app:a", clock=wall)
    flusher = TrafficFlusher(rec, log, interval=60)
    for _ in range(3):
        rec.record("verification", ok=True, seconds=0.02)
    assert flusher.flush() is False
    wall.at = T0 + 65  # the next minute; the first one was never written
    rec.record("verification", ok=False, seconds=0.5)
    rec.record("counter", ok=True, seconds=0.1, issued=True)
    assert flusher.flush() is False and flusher.failures == 2
    assert rec.held() == 3

    (tmp_path / "later").mkdir()  # the database is back
    upgrade(engine)
    assert flusher.flush() is True
    stored = log.between(T0, T0 + 120)
    assert [(m.minute, m.channel, m.ok, m.failed, m.issued) for m in stored] == [
        (T0, "verification", 3, 0, 0),
        (T0 + 60, "counter", 1, 0, 1),
        (T0 + 60, "verification", 0, 1, 0),
    ]
    assert rec.held() == 2  # the finished minute is forgotten, the current one kept

    # The current minute grows and is written again: replaced, never added to.
    rec.record("verification", ok=True, seconds=0.02)
    assert flusher.flush() is True
    assert flusher.flush() is True  # nothing new: nothing written, nothing doubled
    wall.at = T0 + 125
    assert flusher.flush() is True
    stored = {(m.minute, m.channel): m for m in log.between(T0, T0 + 180)}
    assert stored[(T0 + 60, "verification")].requests == 2
    assert stored[(T0, "verification")].requests == 3
    assert sum(m.requests for m in stored.values()) == 3 + 2 + 1
    engine.dispose()


def test_a_request_counted_during_a_write_is_written_next_time() -> None:
    wall = Wall(T0 + 10)
    rec = ChannelRecorder("app:a", clock=wall)
    log = MemoryTrafficLog()
    rec.record("online", ok=True, seconds=0.1)
    taken = rec.unwritten()
    rec.record("online", ok=True, seconds=0.1)  # lands while `taken` is being written
    log.record(taken)
    wall.at = T0 + 70
    rec.written(taken)  # the minute is over, but it grew after it was taken
    (again,) = rec.unwritten()
    assert again.requests == 2
    log.record([again])
    rec.written([again])
    assert rec.unwritten() == [] and rec.held() == 0
    assert [m.requests for m in log.between(T0, T0 + 60)] == [2]


def test_minutes_the_database_never_took_are_kept_for_keep_seconds_then_dropped() -> None:
    wall = Wall(T0)
    rec = ChannelRecorder("app:a", clock=wall, keep_seconds=3600)
    rec.record("kiosk", ok=True, seconds=0.1)
    wall.at = T0 + 3600  # the kiosk minute is still within the hour kept
    assert len(rec.unwritten()) == 1
    rec.record("kiosk", ok=True, seconds=0.1)
    wall.at = T0 + 3600 + 60
    assert [m.minute for m in rec.unwritten()] == [T0 + 3600]
    assert rec.dropped == 1


def test_concurrent_requests_are_all_counted() -> None:
    rec = ChannelRecorder("app:a", clock=Wall(T0))

    def hammer(channel: str) -> None:
        for _ in range(2000):
            rec.record(channel, ok=True, seconds=0.001)

    threads = [threading.Thread(target=hammer, args=(c,)) for c in CHANNELS for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    totals = rec.totals()
    assert {c: totals[c].ok for c in CHANNELS} == dict.fromkeys(CHANNELS, 4000)
    assert sum(m.ok for m in rec.unwritten()) == 16000


def test_the_issuance_gap() -> None:
    wall = Wall(T0)
    rec = ChannelRecorder("app:a", clock=wall)
    assert rec.issuance_gap() == 0  # no attempt yet: nothing missing
    rec.issuance(succeeded=False)  # never issued: counted from the first failure
    wall.at = T0 + 30
    rec.issuance(succeeded=False)
    assert rec.issuance_gap() == 30
    rec.issuance(succeeded=True)
    wall.at = T0 + 100
    assert rec.issuance_gap() == 0  # the latest attempt succeeded, however long ago
    rec.issuance(succeeded=False)
    wall.at = T0 + 130
    assert rec.issuance_gap() == 100  # since the last success at T0 + 30


def test_a_stopping_flusher_writes_what_is_left(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    wall = Wall(T0 + 1)
    rec = ChannelRecorder("app:a", clock=wall)
    flusher = TrafficFlusher(rec, SqlTrafficLog(engine), interval=0.05).start()
    rec.record("online", ok=True, seconds=0.1)
    deadline = threading.Event()
    for _ in range(100):  # the thread writes on its own
        if flusher.writes:
            break
        deadline.wait(0.02)
    assert flusher.writes >= 1
    rec.record("online", ok=True, seconds=0.1)
    assert flusher.stop() is True
    assert [m.requests for m in SqlTrafficLog(engine).between(T0, T0 + 60)] == [2]
    assert ChannelMinute("app:a", T0, "online").requests == 0
    with pytest.raises(ValueError):
        TrafficFlusher(rec, SqlTrafficLog(engine), interval=0)
    engine.dispose()
