"""How the report's figures read in Korean: the same words in the PDF, the page and tests."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from minwon.clock import KST
from minwon.operations.availability.report import AvailabilityReport

# How each figure is made, as the PDF and the page print it (report.py's docstring).
BASIS_KO: tuple[str, ...] = (
    "가용률 = (측정 시간 - 장애 시간) ÷ 측정 시간 × 100. 측정 시간은 기간의 시작부터 "
    "기간의 끝(진행 중인 기간은 보고서 작성 시각)까지입니다.",
    "장애 시간은 서비스가 중단된 구간의 합집합입니다: 겹치는 장애는 한 번만 세고, 기간 "
    "밖의 부분은 잘라 냅니다.",
    "감시자가 발급 공백을 잰 장애는 시작 시각부터 발급 공백만큼 모든 채널을 중단시킨 것으로 "
    "봅니다 (네 채널이 데이터베이스와 앱 서버를 함께 씁니다). 발급 공백이 0이면 목록에만 "
    "올리고 장애 시간에 넣지 않습니다.",
    "발급 공백을 재지 못한 장애는 모든 요청이 필요로 하는 것(주 서버 역할 상실, etcd 합의 "
    "상실)일 때만 시작부터 끝(진행 중이면 지금)까지 장애 시간에 넣고, 그 밖의 것(앱 한 대, "
    "부하분산기 한 대, 복제 서버, 백업)은 목록에만 올립니다.",
    "요청 성공률 = 성공 ÷ (성공 + 실패) × 100 (분 단위 집계). 4xx는 신청자 입력 오류로 "
    "성공에, 5xx와 응답 없이 끝난 요청은 실패에 넣습니다.",
    "발급량은 발급된 증명서 수(창구·무인민원발급기·인터넷)이고, 진위 확인은 요청 수입니다.",
    "지연 시간 p50·p95·p99는 히스토그램 구간 안에서 선형 보간한 값입니다. 마지막 경계 "
    "(5초)를 넘는 값은 '> 5 s'로만 표시합니다.",
    "오류 예산 = (1 - 목표 가용률) × 기간 전체 시간. 사용량은 장애 시간, 남은 예산은 "
    "허용량 - 사용량이며 초과하면 음수입니다.",
    "복구 시간 = 장애 시작부터 모든 증상이 사라질 때(settled)까지. 평균 복구 시간(MTTR)은 "
    "복구된 장애만으로 냅니다.",
)


def seconds(value: float | None) -> str:
    """Returns a duration: "-", "12.3초", "21분 36초", "1시간 2분 3초" (negative: "-…")."""
    if value is None:
        return "-"
    sign = "-" if value < 0 else ""
    left = abs(value)
    if left < 60:
        return f"{sign}{left:.1f}초"
    whole = round(left)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    head = f"{hours}시간 " if hours else ""
    return f"{sign}{head}{minutes}분 {secs}초"


def percent(value: float | None, digits: int = 3) -> str:
    """Returns "99.950 %" ("-" for None)."""
    if value is None:
        return "-"
    if value == math.inf:
        return "∞ %"
    return f"{value:.{digits}f} %"


def latency(value: float | None) -> str:
    """Returns "12.5 ms", "> 5 s" (the overflow bucket) or "-"."""
    if value is None:
        return "-"
    if value == math.inf:
        return "> 5 s"
    return f"{value:.1f} ms"


def when(at: float | None) -> str:
    """Returns a wall time in KST ("2026-11-03 14:05:09"), "-" for None."""
    if at is None:
        return "-"
    return datetime.fromtimestamp(at, KST).strftime("%Y-%m-%d %H:%M:%S")


def headline(report: AvailabilityReport) -> dict[str, str]:
    """Returns the summary lines every rendering starts with."""
    budget = report.budget
    state = "" if report.complete else f" (집계 중: {when(report.measured_until)}까지)"
    return {
        "period": f"{report.period.label} (KST){state}",
        "range": f"{when(report.period.start)} ~ {when(report.period.end)} 전",
        "target": percent(report.target, 2),
        "outage": seconds(report.outage_seconds),
        "allowed": seconds(budget.allowed_seconds),
        "consumed": f"{seconds(budget.consumed_seconds)} ({percent(budget.consumed_percent, 1)})",
        "remaining": seconds(budget.remaining_seconds),
        "generated": when(report.generated_at),
        "incidents": f"{len(report.incidents)}건",
    }


def view(report: AvailabilityReport) -> dict[str, Any]:
    """Returns the report as Korean text cells for a template or a table."""
    return {
        "head": headline(report),
        "overspent": report.budget.remaining_seconds < 0,
        "channels": [
            {
                "name": c.name,
                "code": c.channel,
                "availability": percent(c.availability, 4),
                "outage": seconds(c.outage_seconds),
                "success": percent(c.success_ratio, 3),
                "requests": f"{c.requests:,}",
                "failed": f"{c.failed:,}",
                "volume": f"{c.volume:,}",
                "p50": latency(c.p50_ms),
                "p95": latency(c.p95_ms),
                "p99": latency(c.p99_ms),
                "remaining": seconds(c.budget.remaining_seconds),
            }
            for c in report.channels
        ],
        "incidents": [
            {
                "id": i.id[:8],
                "component": i.component,
                "symptom": i.symptom,
                "cause": f"{i.cause_name} ({i.cause})",
                "detail": i.cause_detail,
                "started": when(i.started_at),
                "duration": "진행 중"
                if i.duration_seconds is None
                else seconds(i.duration_seconds),
                "recovery": "진행 중"
                if i.recovery_seconds is None
                else seconds(i.recovery_seconds),
                "gap": "측정 없음"
                if i.issuance_gap_seconds is None
                else seconds(i.issuance_gap_seconds),
                "downtime": seconds(i.downtime_seconds),
                "counted": i.counted,
                "notes": [f"근본 원인: {t}" for t in i.root_causes]
                + [f"재발 방지: {t}" for t in i.preventions],
            }
            for i in report.incidents
        ],
        "causes": [
            {
                "name": f"{c.name} ({c.cause})",
                "count": f"{c.count}건",
                "mttr": seconds(c.mttr_seconds),
                "downtime": seconds(c.downtime_seconds),
            }
            for c in report.causes
        ],
    }
