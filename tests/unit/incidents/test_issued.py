"""The issuance gap is dated by when each document was issued (its ``issued_at`` row, the
app's own record), not by when a busy app's ``/metrics`` happened to answer: the F6 run
that measured 3.0 s for a 0.62 s gap (issue 14), replayed on a real SQLite database."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from minwon.adapters.database import make_engine
from minwon.adapters.migrate import upgrade
from minwon.adapters.tables import issuances
from minwon.operations.incidents.gap import IssuanceTrack
from minwon.operations.incidents.issued import IssuedFeed


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    return engine


def issue(engine: Engine, number: int, at: float, *, probe: bool = False) -> None:
    when = datetime.fromtimestamp(at, UTC)
    row = {
        "id": f"{number:032d}",
        "number": f"N{number:06d}",
        "request_ref": f"k{number}",
        "document_type": "resident_copy",
        "subject_ref": "r",
        "requester_kind": "citizen",
        "requester_ref": "c",
        "channel": "kiosk",
        "office_code": "1111",
        "issued_at": when,
        "expires_at": when,
        "snapshot_sealed": "x",
        "content_hash": "0" * 64,
        "status": "issued",
        "probe": probe,
    }
    with engine.begin() as conn:
        conn.execute(insert(issuances).values(**row))


def test_each_issuance_is_read_once_with_its_own_time_late_commits_and_probes_included(
    engine: Engine,
) -> None:
    now = time.time()
    issue(engine, 1, now - 120)  # before the first look's reach
    issue(engine, 2, now - 3.0)
    issue(engine, 3, now - 2.5, probe=True)  # a probe document: no citizen's issuance
    feed = IssuedFeed(engine)
    assert feed.drain() == ([], None)
    feed.poll()
    times, polled = feed.drain()
    assert times == [pytest.approx(now - 3.0, abs=1e-3)]
    assert polled is not None and polled >= now
    issue(engine, 4, now - 1.0)
    issue(engine, 5, now - 4.0)  # began before no. 2, committed after it was read
    feed.poll()
    feed.poll()  # nothing new: nothing twice
    times, _ = feed.drain()
    assert sorted(times) == [pytest.approx(now - 4.0, abs=1e-3), pytest.approx(now - 1.0, abs=1e-3)]


def test_a_gap_dated_by_issuance_times_is_the_stall_not_the_slow_reads_of_the_counters() -> None:
    # Issuing every 0.1 s but for a stall from 10.00 to 10.62; the surviving app's
    # /metrics answered only every 3 s meanwhile, each read dated when it began.
    issued = [round(5 + i * 0.1, 2) for i in range(51)] + [
        round(10.62 + i * 0.1, 2) for i in range(60)
    ]
    by_counters = IssuanceTrack()
    for read in (5.0, 8.0, 11.0, 14.0):
        by_counters.sample(read, {"2": float(sum(1 for t in issued if t <= read + 2.9))})
    assert by_counters.gap(10.1, 12.0)[0] == 3.0  # what the watcher recorded
    exact = IssuanceTrack()
    exact.sample(5.0, {"2": 0.0})
    exact.record([t for t in issued if t <= 10.0], at=10.05)
    exact.sample(11.0, {"2": 1000.0})  # counters no longer date anything
    exact.record([], at=12.0)  # a look that found nothing new
    assert exact.gap(10.1, 12.0) == (2.0, False)  # not resumed yet as far as it knows
    exact.record([t for t in issued if t > 10.0], at=16.7)
    assert exact.gap(10.1, 12.0) == (0.62, True)


def test_no_look_yet_leaves_the_counters_in_charge() -> None:
    track = IssuanceTrack()
    track.record([], at=None)
    track.sample(1.0, {"1": 1.0})
    track.sample(2.0, {"1": 2.0})
    assert not track.exact and list(track._increases) == [2.0]
