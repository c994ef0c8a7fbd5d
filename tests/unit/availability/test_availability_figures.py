"""The availability report's figures, from incidents and minutes whose answers were worked
out by hand: overlapping outages counted once, edges clipped to the period, a quiet month
at 100 %, an overspent budget below zero, percentiles from known histograms, KST months."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from minwon.operations.availability.measures import percentile, union
from minwon.operations.availability.period import PeriodError, choose, days, last_month, month
from minwon.operations.availability.report import compute
from minwon.operations.availability.text import seconds, view
from minwon.operations.availability.traffic import ChannelMinute
from minwon.operations.incidents.model import Cause, Incident, IncidentRecord, Note, NoteKind

NOV = month("2026-11")
S, E = NOV.start, NOV.end
AFTER = E + 3600.0  # the report is made an hour after the month ended


def incident(
    component: str, cause: Cause, at: float, *, gap: float | None, lasted: float, settle: float
) -> Incident:
    return Incident.open(component, cause, "detail", at=at).but(
        ended_at=at + lasted, settled_at=at + settle, issuance_gap_seconds=gap
    )


def hist(*counts: int) -> tuple[int, ...]:
    return tuple(counts) + (0,) * (11 - len(counts))


def test_months_and_days_are_the_citys_kst_calendar() -> None:
    assert datetime(2026, 10, 31, 15, tzinfo=UTC).timestamp() == S
    assert datetime(2026, 11, 30, 15, tzinfo=UTC).timestamp() == E
    assert month("2026-12").end == datetime(2026, 12, 31, 15, tzinfo=UTC).timestamp()
    assert len(NOV.days()) == 30 and NOV.days()[0][0] == "2026-11-01"
    week = days("2026-11-03", "2026-11-09")
    assert week.seconds == 7 * 86_400 and week.start == S + 2 * 86_400
    # 2026-12-01 00:30 KST is already December in Jeonju, still November in UTC.
    assert last_month(datetime(2026, 11, 30, 15, 30, tzinfo=UTC).timestamp()).label == "2026-11"
    assert last_month(datetime(2026, 11, 30, 14, 59, tzinfo=UTC).timestamp()).label == "2026-10"
    assert last_month(datetime(2026, 1, 5, tzinfo=UTC).timestamp()).label == "2025-12"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"month_text": "2026-13", "first": None, "last": None}, "report.month"),
        ({"month_text": "11-2026", "first": None, "last": None}, "report.month"),
        ({"month_text": "2027-01", "first": None, "last": None}, "report.future"),
        ({"month_text": "2026-11", "first": "2026-11-01", "last": None}, "report.period"),
        ({"month_text": None, "first": "2026-11-01", "last": None}, "report.range"),
        ({"month_text": None, "first": "2026-11-09", "last": "2026-11-03"}, "report.range"),
        ({"month_text": None, "first": "2026-11-31", "last": "2026-12-01"}, "report.date"),
    ],
)
def test_periods_that_cannot_be_reported_are_refused(kwargs: dict[str, str], code: str) -> None:
    with pytest.raises(PeriodError) as refused:
        choose(**kwargs, now=AFTER)  # type: ignore[arg-type]
    assert refused.value.code == code


def test_overlapping_outages_count_once_and_the_edges_are_clipped() -> None:
    kill = incident("postgres:pg1", Cause.PROCESS_EXIT, S + 1000, gap=100, lasted=20, settle=40)
    path = incident("haproxy:1", Cause.HAPROXY_PATH_DOWN, S + 1050, gap=100, lasted=5, settle=9)
    before = incident("app:1", Cause.PROCESS_EXIT, S - 50, gap=80, lasted=60, settle=90)
    across = incident("postgres:pg2", Cause.ROLE_FAILOVER, E - 20, gap=None, lasted=120, settle=130)
    one_app = incident("app:2", Cause.APP_NOT_READY, S + 5000, gap=None, lasted=300, settle=300)
    kept_up = incident("postgres:pg3", Cause.REPLICATION_LAG, S + 9000, gap=0, lasted=50, settle=50)
    note = Note.new(kill.id, author="김운영", kind=NoteKind.ROOT_CAUSE, text="전원 불량", at=S)
    records = [IncidentRecord(i) for i in (path, before, across, one_app, kept_up)]
    records.append(IncidentRecord(kill, (note,)))
    report = compute(records, [], NOV, target=99.95, now=AFTER)

    # [1000, 1100] ∪ [1050, 1150] = 150 s; [−50, 30] clipped to 30 s; [E−20, E+100] to 20 s.
    assert report.outage_seconds == 200.0
    assert [c.availability for c in report.channels] == [99.9923] * 4  # (2592000−200)/2592000
    assert report.budget.allowed_seconds == 1296.0  # 0.05 % of 30 days
    assert report.budget.remaining_seconds == 1096.0
    lines = {i.component: i for i in report.incidents}
    assert [lines[c].downtime_seconds for c in ("postgres:pg1", "haproxy:1", "app:1")] == [
        100.0,
        100.0,
        30.0,
    ]
    assert lines["postgres:pg2"].downtime_seconds == 20.0
    assert lines["app:2"].downtime_seconds == 0.0 and lines["postgres:pg3"].downtime_seconds == 0
    assert lines["postgres:pg1"].root_causes == ("전원 불량",)
    assert lines["postgres:pg1"].recovery_seconds == 40.0
    causes = {c.cause: c for c in report.causes}
    assert causes["process.exit"].count == 2 and causes["process.exit"].mttr_seconds == 65.0
    assert causes["process.exit"].downtime_seconds == 130.0
    assert report.days[0].outage_seconds == 180.0 and report.days[-1].outage_seconds == 20.0
    assert report.days[-1].consumed_to_date == 200.0


def test_a_month_without_incidents_is_a_hundred_percent() -> None:
    report = compute([], [], NOV, target=99.95, now=AFTER)
    assert {c.availability for c in report.channels} == {100.0}
    assert report.budget.remaining_seconds == 1296.0 and report.complete
    assert report.channel("kiosk").success_ratio is None
    assert report.channel("kiosk").p99_ms is None
    assert view(report)["head"]["remaining"] == "21분 36초"


def test_an_overspent_budget_goes_below_zero() -> None:
    lost = incident("etcd", Cause.ETCD_QUORUM_LOST, S + 86_400, gap=None, lasted=1800, settle=1900)
    report = compute([IncidentRecord(lost)], [], NOV, target=99.95, now=AFTER)
    assert report.outage_seconds == 1800.0
    assert report.budget.remaining_seconds == -504.0
    assert report.channel("online").availability == 99.9306
    shown = view(report)
    assert shown["overspent"] and shown["head"]["remaining"] == "-8분 24초"


def test_a_month_still_running_counts_only_what_has_passed() -> None:
    now = S + 10 * 86_400
    still = Incident.open("postgres:pg1", Cause.ROLE_FAILOVER, "pg1 → ?", at=now - 600)
    report = compute([IncidentRecord(still)], [], NOV, target=99.95, now=now)
    assert not report.complete and report.outage_seconds == 600.0
    assert report.channel("counter").availability == 99.9306  # (864000−600)/864000
    assert report.incidents[0].recovery_seconds is None
    assert view(report)["incidents"][0]["duration"] == "진행 중"


def test_percentiles_are_interpolated_inside_their_bucket() -> None:
    assert percentile(hist(100), 0.50) == 12.5
    assert percentile(hist(100), 0.95) == 23.75
    assert percentile(hist(50, 50), 0.50) == 25.0
    assert percentile(hist(50, 50), 0.99) == 49.5
    slow = hist(0, 0, 0, 98, 0, 0, 0, 0, 0, 0, 2)
    assert percentile(slow, 0.95) == pytest.approx(100 + 100 * 95 / 98, abs=0.001)
    assert percentile(slow, 0.99) == math.inf
    assert percentile(hist(), 0.5) is None
    assert union([(5, 9), (0, 2), (1, 3), (9, 10)]) == [(0, 3), (5, 10)]


def test_traffic_figures_merge_every_instance_per_channel() -> None:
    minutes = [
        ChannelMinute("app:1", S, "kiosk", ok=60, failed=4, issued=30, latency=hist(64)),
        ChannelMinute("app:2", S + 60, "kiosk", ok=35, failed=1, issued=20, latency=hist(0, 36)),
        ChannelMinute("app:1", S, "verification", ok=9, failed=1, issued=0, latency=hist(9, 0, 1)),
        ChannelMinute("app:1", S, "online", ok=1, latency=hist(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)),
    ]
    report = compute([], minutes, NOV, target=99.95, now=AFTER)
    kiosk = report.channel("kiosk")
    assert (kiosk.requests, kiosk.failed, kiosk.volume, kiosk.success_ratio) == (100, 5, 50, 95.0)
    assert kiosk.p50_ms == 19.531  # rank 50 of 64 in 0-25 ms
    assert kiosk.p95_ms == pytest.approx(25 + 25 * 31 / 36, abs=0.001)
    verification = report.channel("verification")
    assert verification.volume == 10 and verification.success_ratio == 90.0
    assert report.channel("online").p50_ms == math.inf
    assert view(report)["channels"][2]["p50"] == "> 5 s"
    assert report.to_dict()["channels"][2]["p99_ms"] == "> 5000"
    assert report.days[0].requests == 111 and report.days[0].failed == 6
    assert seconds(65) == "1분 5초" and seconds(3725) == "1시간 2분 5초"


def test_every_cause_the_watcher_records_has_its_korean_name_in_the_report() -> None:
    from minwon.operations.availability.report import CAUSE_KO
    from minwon.operations.incidents.model import Cause

    assert set(CAUSE_KO) == set(Cause)
    assert all(name and name.isascii() is False for name in CAUSE_KO.values())
