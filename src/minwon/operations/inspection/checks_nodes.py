"""Checks that compare the database nodes with each other: clocks and configuration."""

from __future__ import annotations

import json

from minwon.operations.inspection.model import (
    CheckResult,
    Grade,
    critical,
    graded,
    ok,
    warn,
)
from minwon.operations.inspection.ports import Context


def clock_skew(ctx: Context) -> CheckResult:
    """Returns the grade of the largest clock offset between a node and this host."""
    id, title = "host.clock_skew", "노드 간 시계 차이"
    t = ctx.thresholds
    readings = ctx.cluster.clocks()
    offsets = {r.source: r.offset_seconds for r in readings}
    silent = [r.source for r in readings if r.offset_seconds is None]
    if not readings or len(silent) == len(readings):
        return critical(
            id, title, "어느 노드의 시계도 읽지 못했습니다.", "노드가 응답하는지 확인하세요."
        )
    # A reading of 1 s resolution (an HTTP Date header) is only off by more than that.
    worst = max(
        max(0.0, abs(r.offset_seconds) - r.resolution)
        for r in readings
        if r.offset_seconds is not None
    )
    grade = graded(worst, warn_at=t.clock_warn_seconds, critical_at=t.clock_critical_seconds)
    reason = (
        f"가장 큰 시계 차이 {worst:.3f}초 "
        f"(주의 {t.clock_warn_seconds}초, 위험 {t.clock_critical_seconds}초)."
    )
    if silent:
        reason += f" 응답 없음: {', '.join(silent)}."
    if grade is Grade.OK:
        return ok(id, title, reason, offsets_seconds=offsets)
    action = "각 노드의 NTP(chrony/systemd-timesyncd) 동기화 상태를 확인하세요."
    return (warn if grade is Grade.WARN else critical)(
        id, title, reason, action, offsets_seconds=offsets
    )


def _differences(values: dict[str, dict[str, str]]) -> list[str]:
    keys = sorted({k for v in values.values() for k in v})
    found = []
    for key in keys:
        seen = {name: v.get(key, "(없음)") for name, v in values.items()}
        if len(set(seen.values())) > 1:
            found.append(key)
    return found


def config_drift(ctx: Context) -> CheckResult:
    """Returns 주의 when the nodes' files, PostgreSQL settings or Patroni DCS configuration
    differ (node-specific values left out) among the nodes that answer; 위험 when fewer
    than two answer."""
    id, title = "config.drift", "노드 간 설정 차이"
    nodes = ctx.cluster.configs()
    unread = [n.name for n in nodes if n.settings is None or n.dcs is None]
    read = [n for n in nodes if n.name not in unread]
    files = _differences({n.name: n.files for n in read})
    settings = _differences({n.name: n.settings or {} for n in read})
    dcs = _differences(
        {n.name: {"dcs": json.dumps(n.dcs, sort_keys=True)} for n in nodes if n.dcs is not None}
    )
    measured = {"files": files, "settings": settings, "dcs": bool(dcs), "unread": unread}
    if len(nodes) - len(unread) < 2:
        return critical(
            id,
            title,
            f"설정을 비교할 수 있는 노드가 둘 미만입니다 (읽지 못함: {', '.join(unread) or '-'}).",
            "노드의 PostgreSQL과 Patroni REST API가 응답하는지 확인하세요.",
            **measured,
        )
    # A node that does not answer is the members check's finding; the rest are compared.
    skipped = f" (응답 없는 {', '.join(unread)} 제외)" if unread else ""
    if files or settings or dcs:
        said = [f"파일 {', '.join(files)}"] if files else []
        said += [f"PostgreSQL 설정 {', '.join(settings[:8])}"] if settings else []
        said += ["Patroni DCS 설정"] if dcs else []
        return warn(
            id,
            title,
            "노드마다 다른 설정: " + "; ".join(said) + f".{skipped}",
            "설정 파일을 `minwon cluster plan`의 템플릿으로 다시 쓰고 `patronictl edit-config`로 "
            "맞추세요.",
            **measured,
        )
    return ok(
        id,
        title,
        f"노드 {len(read)}대의 설정 파일·실효 설정·DCS 설정이 같습니다{skipped}.",
        **measured,
    )
