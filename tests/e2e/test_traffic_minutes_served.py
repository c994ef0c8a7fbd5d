"""Two ``minwon serve`` processes on one database each write their own minutes.

The real server's lifespan starts the flusher: rows appear in ``traffic_minutes`` while it
serves (every 0.2 s here), under each process's own instance id, so two apps never
overwrite each other's counts; a clean stop (SIGTERM) writes the last requests too.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select

from minwon.adapters.traffic_tables import traffic_minutes
from support.served import demo_folder, start, stop


def _rows(database: Path) -> list[tuple[str, str, int, int, int]]:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            t = traffic_minutes
            query = select(t.c.instance, t.c.channel, t.c.ok, t.c.failed, t.c.issued)
            return [tuple(r) for r in conn.execute(query)]  # type: ignore[misc]
    finally:
        engine.dispose()


def _totals(rows: list[tuple[str, str, int, int, int]]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for instance, channel, ok, failed, _ in rows:
        found[(instance, channel)] = found.get((instance, channel), 0) + ok + failed
    return found


def test_two_servers_write_their_own_minutes_and_the_last_ones_on_stop(tmp_path: Path) -> None:
    setup = demo_folder(tmp_path / "data", residents=30, seed=13)
    database = tmp_path / "data" / "minwon.sqlite3"
    # The first writes only when it stops; the second every 0.2 s while it serves.
    first, first_base = start(
        {**setup.env, "MINWON_TRAFFIC_FLUSH_SECONDS": "3600"}, tmp_path / "first.log"
    )
    second, second_base = start(
        {**setup.env, "MINWON_TRAFFIC_FLUSH_SECONDS": "0.2"}, tmp_path / "second.log"
    )
    try:
        for _ in range(3):
            assert httpx.get(f"{first_base}/verify", timeout=10).status_code == 200
        assert httpx.get(f"{first_base}/kiosk/setup", timeout=10).status_code == 200
        for _ in range(2):
            assert httpx.get(f"{second_base}/portal/login", timeout=10).status_code == 200
        httpx.get(f"{second_base}/healthz", timeout=10)  # not counted
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _rows(database):
            time.sleep(0.1)
        time.sleep(0.5)  # a few more rounds of the second's writes
        serving = _totals(_rows(database))
        assert [c for _, c in serving] == ["online"] and sum(serving.values()) == 2
        (second_id,) = {i for i, _ in serving}

        stop(first)  # a clean stop writes what the first counted
        stopped = _totals(_rows(database))
        first_ids = {i for i, _ in stopped} - {second_id}
        assert len(first_ids) == 1  # its own instance id, not the second's
        (first_id,) = first_ids
        assert stopped == {
            (second_id, "online"): 2,
            (first_id, "verification"): 3,
            (first_id, "kiosk"): 1,
        }
    finally:
        stop(first)
        stop(second)
