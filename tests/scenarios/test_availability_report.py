"""The availability report of what a real cluster lived through (issue 14, item 4).

Given the shared cluster under a citizen's issuances and a bank clerk's verifications,
when an app instance is killed (the supervisor starts it again and the watcher records
the incident), then the availability report of the hour names that incident with its
cause and time to recover, counts the documents issued online and the verifications the
apps themselves wrote down minute by minute, and gives latency percentiles and the error
budget. The report is written under test-artifacts/reports/ (PDF, HTML, JSON): the
closing note of the issue points at it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from minwon.client.journal import KeyJournal
from minwon.client.retrying import RetryingClient
from minwon.operations.availability.html import render_html
from minwon.operations.availability.pdf import render_pdf
from minwon.operations.availability.period import Period
from minwon.operations.availability.report import AvailabilityReport, build
from minwon.operations.availability.sql import SqlTrafficLog
from minwon.operations.availability.traffic import minute_of
from minwon.operations.clock import wait_until
from minwon.operations.cluster.faults import app
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.incidents.local import local_incidents
from minwon.operations.incidents.model import Cause
from support.rrn_leaks import assert_no_full_number

pytestmark = pytest.mark.cluster

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"
ISSUED = 6
VERIFIED = 4


def report_of(cluster: LocalCluster, period: Period) -> AvailabilityReport:
    store, engine = local_incidents(cluster.root)
    try:
        return build(store, SqlTrafficLog(engine), period, target=99.95, now=time.time())
    finally:
        engine.dispose()


def test_the_report_of_the_hour_names_the_fault_and_what_the_apps_served(
    cluster: LocalCluster, token: str, tmp_path: Path
) -> None:
    began = time.time()
    journal = KeyJournal(tmp_path / "journal.sqlite3")
    client = RetryingClient(cluster.app_urls(), journal)
    try:
        numbers = [client.issue(token, {"document_type": "deungbon"}).number for _ in range(3)]
        killed_at = time.time()
        cluster.kill(app("2"))  # the supervisor starts it again; the watcher records it
        numbers += [client.issue(token, {"document_type": "deungbon"}).number for _ in range(3)]
    finally:
        client.close()
        journal.close()
    with httpx.Client(timeout=10) as bank:  # the bank clerk types the numbers on the paper
        for number in numbers[:VERIFIED]:
            assert bank.get(f"{cluster.app_urls()[0]}/verify", params={"number": number}).is_success
    period = Period(minute_of(began) - 3600, minute_of(time.time()) + 60, "시나리오 1시간")
    found: list[AvailabilityReport] = []

    def written() -> bool:  # the apps write their minutes every 10 s; the incident settles
        found[:] = [report_of(cluster, period)]
        r = found[0]
        ours = [i for i in r.incidents if i.component == "app:2" and i.started_at >= began]
        return (
            r.channel("online").volume >= ISSUED
            and r.channel("verification").requests >= VERIFIED
            and any(i.settled_at is not None for i in ours)
        )

    assert wait_until(written, timeout=60, interval=2), found[0].to_dict() if found else None
    report = found[0]
    (incident,) = [i for i in report.incidents if i.component == "app:2" and i.started_at >= began]
    assert incident.cause == Cause.PROCESS_EXIT.value
    assert abs(incident.started_at - killed_at) <= 1.0
    assert incident.recovery_seconds is not None and 0 < incident.recovery_seconds < 60
    online = report.channel("online")
    assert online.p50_ms is not None and online.p99_ms is not None
    assert online.p50_ms <= online.p99_ms
    assert report.budget.allowed_seconds == pytest.approx(0.0005 * period.seconds, abs=0.01)
    assert report.budget.consumed_seconds == report.outage_seconds
    assert 0 <= report.outage_seconds < time.time() - period.start
    # a killed app with its twin serving: the gap the watcher measured is the outage, if any
    if incident.issuance_gap_seconds:
        assert incident.downtime_seconds == pytest.approx(incident.issuance_gap_seconds, abs=0.01)
    else:
        assert incident.downtime_seconds == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data = json.dumps(report.to_dict(), ensure_ascii=False, indent=2)
    html = render_html(report)
    assert_no_full_number(data, "availability JSON")
    assert_no_full_number(html, "availability HTML")
    (ARTIFACTS / "availability-scenarios.json").write_text(data, encoding="utf-8")
    (ARTIFACTS / "availability-scenarios.html").write_text(html, encoding="utf-8")
    pdf = render_pdf(report)
    assert pdf.startswith(b"%PDF")
    (ARTIFACTS / "availability-scenarios.pdf").write_bytes(pdf)
