"""Every release is recorded in the database: which build, who, when, outcome, why, steps."""

from __future__ import annotations

from datetime import UTC, datetime

from minwon.adapters.database import make_engine
from minwon.adapters.migrate import upgrade
from minwon.adapters.release_store import ReleaseStore
from minwon.operations.release.builds import Build
from minwon.operations.release.canary import Outcome, ReleaseReport, StepRecord

BUILD = Build("0.1.1+0123456789", "0.1.1", "0123456789abcdef", "/releases/x/venv/bin/python")


def test_a_rolled_back_release_is_kept_with_its_reason_and_steps(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    store = ReleaseStore(engine)
    report = ReleaseReport(BUILD, "운영자 김", started_at=1_764_777_600.0, canary="1")
    report.steps.append(StepRecord("probe", "1", 2.5, 0.3, False, "probe.pdf_corrupt: 깨진 PDF"))
    report.outcome, report.code, report.reason = Outcome.ROLLED_BACK, "probe.pdf_corrupt", "깨짐"
    report.canary_started, report.decided = 10.0, 12.8
    first = store.record(report.to_row(), finished_at=datetime(2025, 12, 3, 16, 0, 5, tzinfo=UTC))
    report.outcome, report.code, report.reason = Outcome.PROMOTED, "release.promoted", "모두"
    report.started_at += 60
    second = store.record(report.to_row())
    assert second > first
    newest, older = store.history()
    assert (newest["id"], older["id"]) == (second, first)
    assert older["build_id"] == BUILD.id and older["version"] == "0.1.1"
    assert (older["who"], older["outcome"], older["code"]) == (
        "운영자 김",
        "rolled_back",
        "probe.pdf_corrupt",
    )
    assert older["started_at"] == datetime(2025, 12, 3, 16, 0, tzinfo=UTC)
    assert older["decision_seconds"] == 2.8 and older["canary"] == "1"
    assert older["steps"][0]["name"] == "probe" and older["steps"][0]["ok"] is False
    engine.dispose()
