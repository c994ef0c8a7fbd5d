"""The report read from a real database, SQLite and PostgreSQL alike: the incidents
overlapping the month (by their stored times) and its traffic minutes give the figures
worked out by hand in support/availability_seed.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from minwon.adapters.database import make_engine
from minwon.adapters.migrate import upgrade
from minwon.operations.availability.period import month
from minwon.operations.availability.sql import open_incidents, read_report
from minwon.operations.incidents.store import StoreUnavailableError
from support.availability_seed import NOV, seed


def test_the_months_figures_from_the_database(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        seed(engine, open_since=NOV.end + 3600)
        report = read_report(engine, NOV, target=99.95, now=NOV.end + 7200)
        assert report.outage_seconds == 612.5 and report.budget.remaining_seconds == 683.5
        assert [len(report.incidents), report.channel("kiosk").requests] == [2, 20]
        assert report.channel("verification").volume == 8
        notes = report.incidents[0].root_causes + report.incidents[0].preventions
        assert len(notes) == 2
        # December holds only the incident opened after November ended, still open.
        december = read_report(engine, month("2026-12"), target=99.95, now=NOV.end + 7200)
        assert [i.component for i in december.incidents] == ["app:2"]
        assert december.channel("counter").requests == 0
        assert [r.incident.component for r in open_incidents(engine)] == ["app:2"]
    finally:
        engine.dispose()


def test_a_database_without_the_tables_is_store_unavailable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/empty.sqlite3")
    try:
        with pytest.raises(StoreUnavailableError):
            read_report(engine, NOV, target=99.95, now=NOV.end)
    finally:
        engine.dispose()
