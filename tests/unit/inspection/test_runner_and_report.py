"""The runner never hangs and never lets a check's error through; the grades add up to
exit codes; the HTML and PDF reports carry every check."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from minwon.operations.inspection.model import (
    CheckResult,
    Grade,
    InspectionReport,
    Thresholds,
    critical,
    ok,
    warn,
)
from minwon.operations.inspection.report import render_html, render_pdf
from minwon.operations.inspection.runner import Check, run_checks
from minwon.operations.inspection.suite import CHECKS

from .conftest import World


def test_a_hung_check_is_critical_no_answer_and_the_others_still_report(world: World) -> None:
    world.cluster.hang.add("etcd")
    world.thresholds = Thresholds(timeout_seconds=0.5)
    began = time.monotonic()
    try:
        report = world.inspect()
    finally:
        world.cluster.released.set()
    assert time.monotonic() - began < 3
    hung = {r.id for r in report.results if "응답 없음" in r.reason}
    assert hung == {"etcd.quorum", "etcd.db_size"}
    assert all(report.result(i).grade is Grade.CRITICAL for i in hung)
    assert report.result("cluster.members").grade is Grade.OK


def test_a_check_that_raises_is_critical_with_the_error_not_an_exception(world: World) -> None:
    world.records.backup_info_value = RuntimeError("pgbackrest: repository unreachable")
    result = world.inspect("backup.last").results[0]
    assert result.grade is Grade.CRITICAL
    assert "repository unreachable" in result.reason and result.action


def test_checks_run_at_once_not_one_after_another() -> None:
    def slow(id: str) -> Check:
        return Check(id, id, lambda: (time.sleep(0.4), ok(id, id, "좋음"))[1])

    began = time.monotonic()
    report = run_checks([slow(f"c.{i}") for i in range(8)], timeout=5)
    assert time.monotonic() - began < 1.5
    assert [r.id for r in report.results] == [f"c.{i}" for i in range(8)]
    assert all(r.seconds >= 0.35 for r in report.results)


def _report(*grades: Grade) -> InspectionReport:
    made = {Grade.OK: ok, Grade.WARN: warn, Grade.CRITICAL: critical}
    results: list[CheckResult] = []
    for n, g in enumerate(grades):
        if g is Grade.NOT_CONFIGURED:
            results.append(CheckResult(f"x.{n}", "x", g, "없음"))
        elif g is Grade.OK:
            results.append(ok(f"x.{n}", "x", "좋음"))
        else:
            results.append(made[g](f"x.{n}", "x", "나쁨", "고치세요"))
    return InspectionReport("t", datetime(2026, 12, 4, tzinfo=UTC), 0.1, tuple(results))


@pytest.mark.parametrize(
    ("grades", "code"),
    [
        ((Grade.OK, Grade.OK), 0),
        ((Grade.OK, Grade.NOT_CONFIGURED), 0),
        ((Grade.NOT_CONFIGURED,), 0),
        ((Grade.OK, Grade.WARN, Grade.NOT_CONFIGURED), 1),
        ((Grade.WARN, Grade.CRITICAL, Grade.OK), 2),
        ((Grade.CRITICAL,), 2),
    ],
)
def test_exit_codes_follow_the_worst_grade(grades: tuple[Grade, ...], code: int) -> None:
    assert _report(*grades).exit_code == code


def test_thresholds_come_from_configuration_and_refuse_what_they_do_not_know() -> None:
    t = Thresholds.from_dict({"backup_warn_hours": 12, "font_paths": ["/x.ttf"]})
    assert t.backup_warn_hours == 12.0 and t.font_paths == ("/x.ttf",)
    assert t.drill_warn_days == Thresholds().drill_warn_days
    for bad in ({"backup_warn_hour": 1}, {"backup_warn_hours": "12"}, {"font_paths": "/x"}):
        with pytest.raises(ValueError):
            Thresholds.from_dict(bad)


def test_the_html_report_lists_every_check_with_its_korean_grade(world: World) -> None:
    world.cluster.with_members(name="pg2", timeline=9)
    html = render_html(world.inspect())
    assert html.startswith("<!doctype html>") and 'lang="ko"' in html
    for id, title, _ in CHECKS:
        assert f'id="{id}"' in html and title in html
    assert "위험" in html and "정상" in html and "미구성" in html


def test_the_html_report_escapes_what_it_was_told(world: World) -> None:
    world.records.backup_info_value = RuntimeError("<script>alert(1)</script>")
    html = render_html(world.inspect("backup.last"))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_pdf_report_is_a_pdf_in_korean(world: World) -> None:
    pdf = render_pdf(world.inspect())
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000
    assert b"NanumGothic" in pdf


def test_a_check_given_a_longer_deadline_may_take_it_and_the_rest_keep_theirs() -> None:
    def slow(id: str, seconds: float) -> Callable[[], CheckResult]:
        return lambda: (time.sleep(seconds), ok(id, id, "좋음"))[1]

    checks = [
        Check("a.slow", "a", slow("a.slow", 0.6), timeout=2),
        Check("b.hung", "b", slow("b.hung", 5)),
    ]
    report = run_checks(checks, timeout=0.3)
    assert report.result("a.slow").grade is Grade.OK
    assert report.result("b.hung").grade is Grade.CRITICAL
    assert "응답 없음" in report.result("b.hung").reason
