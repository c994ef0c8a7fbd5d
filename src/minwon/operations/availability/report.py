"""The availability report of a period: per channel, what was promised and what was served.

Pure: standard library and the availability/incident models. ``build`` reads the two
stores (incidents overlapping the period, the traffic minutes in it); ``compute`` does the
rest on plain values, so a test hands it incidents and minutes and checks the figures.

How each figure is made (the PDF's and the page's "산정 기준" say the same, ``text.BASIS_KO``):

- 가용률 (availability) = (측정 시간 − 장애 시간) / 측정 시간, the way a Korean public
  sector SLA reads. 측정 시간 is the period up to now (a month still running counts only
  what has passed). 장애 시간 is the union of the intervals in which service was
  interrupted, each instant counted once however many incidents overlap, clipped to the
  period:
  - an incident whose watcher measured an issuance gap (발급 공백) > 0 interrupts every
    channel (all four share the database and the app instances) for
    [started_at, started_at + gap];
  - an incident with a measured gap of 0 kept issuing: it is listed, it is no downtime;
  - an incident with no measurement (gap None) is downtime from its start to its end (or
    to now while open) only if every request needs what failed: the leader lost
    (role.failover) or etcd's quorum lost (etcd.quorum_lost: Patroni demotes the leader).
    Any other unmeasured incident (one app of several, one HAProxy, a replica, a backup)
    is listed, not counted.
- 요청 성공률 = ok / (ok + failed) from the traffic minutes, beside availability: a 4xx is
  the citizen's mistake and counts as ok, a 5xx or an unanswered request as failed.
- 발급량: documents issued (counter, kiosk, online); for verification, its requests.
- 지연 시간 p50/p95/p99 from the merged latency histograms, interpolated linearly in the
  bucket; past the last bound (5 s) only "> 5 s" is known.
- 오류 예산 (error budget) = (1 − 목표/100) × the whole period; consumed = 장애 시간;
  remaining = allowed − consumed (negative when overspent).
- 복구 시간 (time to recover) = settled_at − started_at: until every symptom cleared.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from minwon.operations.availability.measures import (
    Interval,
    clip,
    length,
    merge_histograms,
    percentile,
)
from minwon.operations.availability.period import Period
from minwon.operations.availability.traffic import CHANNELS, ChannelMinute, TrafficLog
from minwon.operations.incidents.model import Cause, IncidentRecord, NoteKind

CHANNEL_KO = {
    "counter": "창구",
    "kiosk": "무인민원발급기",
    "online": "인터넷 민원",
    "verification": "진위 확인",
}
CAUSE_KO = {
    Cause.PROCESS_EXIT: "프로세스 종료",
    Cause.PROCESS_HUNG: "프로세스 멈춤",
    Cause.HOST_UNREACHABLE: "서버 네트워크 단절",
    Cause.ROLE_FAILOVER: "주 서버 장애 조치",
    Cause.ROLE_SWITCHOVER: "계획된 주 서버 전환",
    Cause.REPLICATION_STOPPED: "복제 중단",
    Cause.REPLICATION_LAG: "복제 지연",
    Cause.HAPROXY_PATH_DOWN: "부하분산 경로 단절",
    Cause.ETCD_QUORUM_LOST: "etcd 합의 상실",
    Cause.APP_NOT_READY: "앱 준비 안 됨",
    Cause.ARCHIVE_FAILED: "WAL 보관 실패",
    Cause.BACKUP_FAILED: "백업 실패",
    Cause.SITE_LOST: "주 사이트 상실",
    Cause.DR_LINK_LOST: "사이트 간 복제 링크 단절",
    Cause.EDGE_SERVERS_DOWN: "외부 부하분산 경로 장애",
    Cause.RELEASE_ROLLED_BACK: "배포 되돌림",
}
# Without a leader (or the primary site, until the second site takes over) no request
# anywhere is served: unmeasured, these are downtime.
EVERY_REQUEST_NEEDS = frozenset({Cause.ROLE_FAILOVER, Cause.ETCD_QUORUM_LOST, Cause.SITE_LOST})


class IncidentsBetween(Protocol):
    """What the report reads of the incident store (``IncidentStore.between``)."""

    def between(self, start: float, end: float) -> list[IncidentRecord]: ...


@dataclass(frozen=True)
class Budget:
    """The error budget of a period against the target (seconds)."""

    allowed_seconds: float
    consumed_seconds: float

    @property
    def remaining_seconds(self) -> float:
        return round(self.allowed_seconds - self.consumed_seconds, 3)

    @property
    def consumed_percent(self) -> float:
        if self.allowed_seconds <= 0:
            return math.inf if self.consumed_seconds else 0.0
        return round(100 * self.consumed_seconds / self.allowed_seconds, 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed_seconds": self.allowed_seconds,
            "consumed_seconds": self.consumed_seconds,
            "remaining_seconds": self.remaining_seconds,
        }


@dataclass(frozen=True)
class ChannelFigures:
    """One channel's figures for the period."""

    channel: str
    name: str
    availability: float  # percent
    outage_seconds: float
    requests: int
    ok: int
    failed: int
    success_ratio: float | None  # percent; None without requests
    volume: int
    p50_ms: float | None  # math.inf: past the last bound
    p95_ms: float | None
    p99_ms: float | None
    budget: Budget

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["budget"] = self.budget.to_dict()
        for key in ("p50_ms", "p95_ms", "p99_ms"):
            if data[key] == math.inf:
                data[key] = "> 5000"
        return data


@dataclass(frozen=True)
class IncidentLine:
    """One incident as the report lists it."""

    id: str
    component: str
    cause: str
    cause_name: str
    cause_detail: str
    symptom: str
    started_at: float
    ended_at: float | None
    settled_at: float | None
    duration_seconds: float | None
    recovery_seconds: float | None
    issuance_gap_seconds: float | None
    downtime_seconds: float  # inside the period
    counted: str  # why it is (or is not) downtime, Korean
    root_causes: tuple[str, ...]
    preventions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CauseFigures:
    """The incidents of one cause class: how many, their mean time to recover, downtime."""

    cause: str
    name: str
    count: int
    mttr_seconds: float | None
    downtime_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DayFigures:
    """One KST day: its downtime, its traffic, and the budget consumed up to its end."""

    day: str
    outage_seconds: float
    requests: int
    failed: int
    consumed_to_date: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AvailabilityReport:
    """Everything the PDF, the page and ``--json`` show."""

    period: Period
    measured_until: float
    generated_at: float
    target: float  # percent
    outage_seconds: float
    channels: tuple[ChannelFigures, ...]
    incidents: tuple[IncidentLine, ...]
    causes: tuple[CauseFigures, ...]
    days: tuple[DayFigures, ...]
    budget: Budget

    @property
    def complete(self) -> bool:
        """True when the whole period has passed."""
        return self.measured_until >= self.period.end

    def channel(self, name: str) -> ChannelFigures:
        return next(c for c in self.channels if c.channel == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": {
                "label": self.period.label,
                "start": self.period.start,
                "end": self.period.end,
                "measured_until": self.measured_until,
                "complete": self.complete,
            },
            "generated_at": self.generated_at,
            "target_percent": self.target,
            "outage_seconds": self.outage_seconds,
            "budget": self.budget.to_dict(),
            "channels": [c.to_dict() for c in self.channels],
            "incidents": [i.to_dict() for i in self.incidents],
            "causes": [c.to_dict() for c in self.causes],
            "days": [d.to_dict() for d in self.days],
        }


def build(
    incidents: IncidentsBetween,
    traffic: TrafficLog,
    period: Period,
    *,
    target: float,
    now: float,
) -> AvailabilityReport:
    """Returns the report of `period` read from the stores."""
    return compute(
        incidents.between(period.start, period.end),
        traffic.between(period.start, period.end),
        period,
        target=target,
        now=now,
    )


def outage_of(record: IncidentRecord, horizon: float) -> tuple[Interval | None, str]:
    """Returns the interval `record` interrupted service (None: none) and why, in Korean."""
    i = record.incident
    gap = i.issuance_gap_seconds
    if gap is not None and gap > 0:
        return (i.started_at, i.started_at + gap), "발급 공백 측정값"
    if gap is not None:
        return None, "중단 없음 (발급 공백 0)"
    if i.cause in EVERY_REQUEST_NEEDS:
        end = i.ended_at if i.ended_at is not None else horizon
        return (i.started_at, end), "측정 없음 · 모든 요청이 필요로 하는 구성요소"
    return None, "중단으로 보지 않음 (측정 없음 · 일부 구성요소)"


def _line(
    record: IncidentRecord, interval: Interval | None, counted: str, p: Period, horizon: float
) -> IncidentLine:
    i = record.incident
    inside = clip([interval], p.start, horizon) if interval else []
    return IncidentLine(
        id=i.id,
        component=i.component,
        cause=i.cause.value,
        cause_name=CAUSE_KO.get(i.cause, i.cause.value),
        cause_detail=i.cause_detail,
        symptom=i.symptom,
        started_at=i.started_at,
        ended_at=i.ended_at,
        settled_at=i.settled_at,
        duration_seconds=i.duration,
        recovery_seconds=None if i.settled_at is None else round(i.settled_at - i.started_at, 3),
        issuance_gap_seconds=i.issuance_gap_seconds,
        downtime_seconds=round(length(inside), 3),
        counted=counted,
        root_causes=tuple(n.text for n in record.notes if n.kind is NoteKind.ROOT_CAUSE),
        preventions=tuple(n.text for n in record.notes if n.kind is NoteKind.PREVENTION),
    )


def _channel(
    channel: str, rows: Sequence[ChannelMinute], outage: float, measured: float, budget: Budget
) -> ChannelFigures:
    ok = sum(m.ok for m in rows)
    failed = sum(m.failed for m in rows)
    histogram = merge_histograms(m.latency for m in rows)
    return ChannelFigures(
        channel=channel,
        name=CHANNEL_KO[channel],
        availability=100.0 if measured <= 0 else round(100 * (measured - outage) / measured, 4),
        outage_seconds=round(outage, 3),
        requests=ok + failed,
        ok=ok,
        failed=failed,
        success_ratio=None if ok + failed == 0 else round(100 * ok / (ok + failed), 4),
        volume=ok + failed if channel == "verification" else sum(m.issued for m in rows),
        p50_ms=percentile(histogram, 0.50),
        p95_ms=percentile(histogram, 0.95),
        p99_ms=percentile(histogram, 0.99),
        budget=budget,
    )


def compute(
    records: Sequence[IncidentRecord],
    minutes: Sequence[ChannelMinute],
    period: Period,
    *,
    target: float,
    now: float,
) -> AvailabilityReport:
    """Returns the report of `period` from the incidents overlapping it and its minutes."""
    horizon = max(period.start, min(period.end, now))
    measured = horizon - period.start
    lines: list[IncidentLine] = []
    intervals: list[Interval] = []
    by_cause: dict[str, list[tuple[IncidentLine, Interval | None]]] = {}
    for record in sorted(records, key=lambda r: r.incident.started_at):
        if record.incident.started_at >= horizon:
            continue
        interval, counted = outage_of(record, horizon)
        line = _line(record, interval, counted, period, horizon)
        lines.append(line)
        if interval is not None:
            intervals.append(interval)
        by_cause.setdefault(line.cause, []).append((line, interval))
    down = clip(intervals, period.start, horizon)
    outage = round(length(down), 3)
    allowed = round((1 - target / 100) * period.seconds, 3)
    budget = Budget(allowed, outage)
    by_channel: dict[str, list[ChannelMinute]] = {c: [] for c in CHANNELS}
    for m in minutes:
        by_channel[m.channel].append(m)
    channels = tuple(_channel(c, by_channel[c], outage, measured, budget) for c in CHANNELS)
    spans = period.days()
    served = [[0, 0] for _ in spans]  # requests, failed per day (KST days are 86,400 s)
    for m in minutes:
        n = int((m.minute - period.start) // 86_400)
        if 0 <= n < len(spans):
            served[n][0] += m.requests
            served[n][1] += m.failed
    days = [
        DayFigures(
            day=day,
            outage_seconds=round(length(clip(down, start, end)), 3),
            requests=served[n][0],
            failed=served[n][1],
            consumed_to_date=round(length(clip(down, period.start, end)), 3),
        )
        for n, (day, start, end) in enumerate(spans)
    ]
    causes = []
    for cause, found in sorted(by_cause.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        recovered = [
            line.recovery_seconds for line, _ in found if line.recovery_seconds is not None
        ]
        gaps = [iv for _, iv in found if iv is not None]
        causes.append(
            CauseFigures(
                cause=cause,
                name=found[0][0].cause_name,
                count=len(found),
                mttr_seconds=round(sum(recovered) / len(recovered), 3) if recovered else None,
                downtime_seconds=round(length(clip(gaps, period.start, horizon)), 3),
            )
        )
    return AvailabilityReport(
        period=period,
        measured_until=horizon,
        generated_at=now,
        target=target,
        outage_seconds=outage,
        channels=channels,
        incidents=tuple(lines),
        causes=tuple(causes),
        days=tuple(days),
        budget=budget,
    )
