"""Checks of what recovery depends on: backups, the WAL archive, the second site, drills
and failover rehearsals.

A deadline kind of check (a drill every N days) counts from the last time it was done or,
before the first time, from when the cluster was put in service: a cluster younger than
the deadline has not missed it yet.
"""

from __future__ import annotations

from datetime import datetime

from minwon.operations.inspection.model import (
    CheckResult,
    Grade,
    critical,
    graded,
    not_configured,
    ok,
    warn,
)
from minwon.operations.inspection.ports import Context

MIB = 1024 * 1024


def _hours(since: datetime, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds() / 3600)


def _shown(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


NO_VALID_BACKUPS = 2  # pgBackRest's stanza status code: the repository holds no backup


def backup_age(ctx: Context) -> CheckResult:
    """Returns the grade of the newest whole backup's age (none: 위험)."""
    id, title = "backup.last", "마지막 백업"
    t = ctx.thresholds
    info = ctx.records.backup_info()
    if info is None:
        return not_configured(id, title, "이 클러스터에는 백업 저장소 설정이 없습니다.")
    if info.status_code == NO_VALID_BACKUPS and info.backup_running:
        # A new cluster's first full backup, under way (the supervisor starts it at once).
        return warn(
            id,
            title,
            "첫 전체 백업이 진행 중입니다: 끝나기 전에는 시점 복구를 할 수 없습니다.",
            "몇 분 뒤 다시 점검하거나 `minwon backup list`로 백업이 끝났는지 확인하세요.",
            backups=0,
        )
    if not info.ok:
        return critical(
            id,
            title,
            f"pgBackRest 스탠자 상태 이상: {info.status_message} (코드 {info.status_code}).",
            "`minwon backup check`로 원인을 확인하세요.",
        )
    whole = [b for b in info.backups if not b.error]
    if not whole:
        return critical(
            id,
            title,
            "저장소에 백업이 하나도 없습니다.",
            "`minwon backup run --type full`로 전체 백업을 받고 예약 백업을 켜세요.",
            backups=0,
        )
    newest = max(whole, key=lambda b: b.stopped)
    hours = _hours(newest.stopped, ctx.now)
    grade = graded(hours, warn_at=t.backup_warn_hours, critical_at=t.backup_critical_hours)
    reason = (
        f"마지막 백업 {newest.label}({newest.type}) {_shown(newest.stopped)}, {hours:.1f}시간 전 "
        f"(주의 {t.backup_warn_hours:g}시간, 위험 {t.backup_critical_hours:g}시간)."
    )
    measured = {"label": newest.label, "type": newest.type, "age_hours": round(hours, 2)}
    if grade is Grade.OK:
        return ok(id, title, reason, **measured)
    action = (
        "예약 백업(감시자 또는 systemd 타이머) 로그를 확인하고 `minwon backup run`을 실행하세요."
    )
    return (warn if grade is Grade.WARN else critical)(id, title, reason, action, **measured)


def backup_verify(ctx: Context) -> CheckResult:
    """Returns 위험 when ``pgbackrest verify`` finds a bad file (or verifies nothing)."""
    id, title = "backup.verify", "백업 검증"
    report = ctx.records.backup_verify()
    if report is None:
        return not_configured(id, title, "이 클러스터에는 백업 저장소 설정이 없습니다.")
    if not report.ok:
        problems = "; ".join(report.problems) or f"상태 {report.status or '보고 없음'}"
        return critical(
            id,
            title,
            f"pgbackrest verify 실패: {problems}"[:400],
            "손상된 백업은 버리고 새 전체 백업을 받으세요 (`minwon backup run --type full`).",
            status=report.status,
            problems=list(report.problems),
        )
    return ok(id, title, "모든 백업 파일과 WAL의 체크섬이 맞습니다.", status=report.status)


def _is_segment(name: str) -> bool:
    head = name[:24]
    return len(head) == 24 and all(ch in "0123456789ABCDEFabcdef" for ch in head)


def _segment_number(name: str) -> int:
    # 24 hex digits: timeline, log, segment; with 16 MiB segments 256 per log.
    return int(name[8:16], 16) * 0x100 + int(name[16:24], 16)


def wal_archive(ctx: Context) -> CheckResult:
    """Returns the grade of how many WAL segments wait to be archived; 위험 when the last
    attempt failed."""
    id, title = "backup.wal_archive", "WAL 아카이브 지연"
    t = ctx.thresholds
    facts = ctx.records.archiver()
    if facts is None:
        return not_configured(id, title, "이 클러스터에는 WAL 아카이브 설정이 없습니다.")
    measured = {
        "current": facts.current_segment,
        "last_archived": facts.last_archived,
        "failed_count": facts.failed_count,
        "last_failed": facts.last_failed,
    }
    failing = facts.last_failed_at is not None and (
        facts.last_archived_at is None or facts.last_failed_at > facts.last_archived_at
    )
    if failing:
        return critical(
            id,
            title,
            f"마지막 WAL 아카이브 시도가 실패했습니다: {facts.last_failed}.",
            "pgBackRest 로그(노드의 pgbackrest/log)와 저장소 경로·권한을 확인하세요.",
            **measured,
        )
    if facts.last_archived is None:
        return critical(
            id,
            title,
            "아직 아카이브된 WAL이 없습니다.",
            "`minwon backup check`로 WAL 아카이브를 점검하세요.",
            **measured,
        )
    if not _is_segment(facts.last_archived):
        # A timeline history file (``00000002.history``), archived at a promotion just
        # before the new timeline's first segment: nothing waits behind it yet.
        return ok(
            id, title, f"마지막 아카이브: {facts.last_archived} (타임라인 전환 직후).", **measured
        )
    behind = max(
        0, _segment_number(facts.current_segment) - _segment_number(facts.last_archived) - 1
    )
    measured["segments_behind"] = behind
    grade = graded(
        behind, warn_at=t.wal_archive_warn_segments, critical_at=t.wal_archive_critical_segments
    )
    reason = f"아카이브를 기다리는 WAL {behind}개 (주의 {t.wal_archive_warn_segments}개 초과)."
    if grade is Grade.OK:
        return ok(id, title, reason, **measured)
    action = "아카이브가 쓰기 속도를 못 따라갑니다: 저장소 디스크와 archive-push 로그를 확인하세요."
    return (warn if grade is Grade.WARN else critical)(id, title, reason, action, **measured)


def second_site(ctx: Context) -> CheckResult:
    """Returns the grade of the second site's lag (unknown or stale samples: 위험)."""
    id, title = "dr.lag", "제2 사이트 지연"
    t = ctx.thresholds
    facts = ctx.records.second_site()
    if facts is None:
        return not_configured(id, title, "제2 사이트(<root>/site2)가 없습니다.")
    lag = facts.lag
    measured = {"bytes": lag.bytes, "seconds": lag.seconds, "known": lag.known}
    if not facts.following:
        return warn(
            id,
            title,
            "제2 사이트가 승격되어 더 이상 주 사이트를 따르지 않습니다.",
            "재해 복구 후라면 `minwon dr rejoin`으로 옛 사이트를 대기 사이트로 되돌리세요.",
            **measured,
        )
    stale = (
        facts.newest_sample_at is None
        or ctx.now.timestamp() - facts.newest_sample_at > t.dr_sample_stale_seconds
    )
    if stale or not lag.known or lag.bytes is None:
        why = (
            "연결 기록이 오래되었습니다 (제2 사이트 감시자가 멈춤?)"
            if stale
            else "지연을 알 수 없습니다"
        )
        return critical(
            id,
            title,
            f"제2 사이트: {why}.",
            "`minwon dr status`로 연결과 제2 사이트 감시자를 확인하세요.",
            **measured,
        )
    grade = graded(lag.bytes, warn_at=t.dr_lag_warn_bytes, critical_at=t.dr_lag_critical_bytes)
    reason = f"제2 사이트 지연 {lag.bytes:,} 바이트, {lag.seconds or 0:.1f}초."
    if grade is Grade.OK:
        return ok(id, title, reason, **measured)
    action = "사이트 간 연결(`minwon dr link restore`)과 대역폭을 확인하세요."
    return (warn if grade is Grade.WARN else critical)(id, title, reason, action, **measured)


def _deadline(
    id: str,
    title: str,
    *,
    last: datetime | None,
    since: datetime,
    now: datetime,
    warn_days: float,
    critical_days: float,
    what: str,
    action: str,
) -> CheckResult:
    origin = last or since
    days = max(0.0, (now - origin).total_seconds() / 86400)
    measured = {"last": last.isoformat() if last else None, "days": round(days, 2)}
    if last is None:
        reason = f"아직 {what} 기록이 없습니다; 가동 {days:.1f}일째 (주의 {warn_days:g}일)."
    else:
        reason = f"마지막 {what} {_shown(last)}, {days:.1f}일 전 (주의 {warn_days:g}일)."
    grade = graded(days, warn_at=warn_days, critical_at=critical_days)
    if grade is Grade.OK:
        return ok(id, title, reason, **measured)
    return (warn if grade is Grade.WARN else critical)(id, title, reason, action, **measured)


def drill_age(ctx: Context) -> CheckResult:
    """Returns the grade of the days since the last recovery drill that passed; 위험 when
    the last drill failed."""
    id, title = "backup.drill", "마지막 복구 훈련"
    t = ctx.thresholds
    drills = ctx.records.drills()
    if drills.last_outcome == "failed":
        when = _shown(drills.last_at) if drills.last_at else "?"
        return critical(
            id,
            title,
            f"마지막 복구 훈련({when})이 실패했습니다: {drills.last_detail}"[:400],
            "실패 원인을 고치고 `minwon dr drill --to <시각>`을 다시 실행하세요.",
        )
    return _deadline(
        id,
        title,
        last=drills.last_passed_at,
        since=ctx.cluster.commissioned_at(),
        now=ctx.now,
        warn_days=t.drill_warn_days,
        critical_days=t.drill_critical_days,
        what="통과한 복구 훈련",
        action="`minwon dr drill --to <시각>`으로 시점 복구 훈련을 하세요.",
    )


def rehearsal_age(ctx: Context) -> CheckResult:
    """Returns the grade of the days since the last failover rehearsal that held (with
    none yet, the days since the cluster was commissioned); 미구성 where the target has
    no place its rehearsals are kept."""
    id, title = "cluster.failover_rehearsal", "마지막 장애 전환 리허설"
    t = ctx.thresholds
    records = ctx.records.rehearsals()
    if records is None:
        return not_configured(
            id,
            title,
            "장애 전환 리허설 기록 저장소가 없습니다: 이 대상에는 리허설 기록을 둘 곳이 "
            "정해져 있지 않습니다.",
            "리허설 기록(장애 시나리오 JSON)이 쌓이는 폴더를 rehearsal_dirs로 지정하세요.",
        )
    bad = [r for r in records if not r.healed or r.lost or r.duplicated]
    newest = max(records, key=lambda r: r.started_at, default=None)
    if newest is not None and newest in bad:
        return critical(
            id,
            title,
            f"마지막 리허설 {newest.fault}({_shown(newest.started_at)})이 지키지 못했습니다: "
            f"복구 {newest.healed}, 유실 {newest.lost}, 중복 {newest.duplicated}.",
            "원인을 고치고 리허설을 다시 하세요 (`minwon cluster rehearse F3`).",
            source=newest.source,
        )
    return _deadline(
        id,
        title,
        last=newest.started_at if newest else None,
        since=ctx.cluster.commissioned_at(),
        now=ctx.now,
        warn_days=t.rehearsal_warn_days,
        critical_days=t.rehearsal_critical_days,
        what="장애 전환 리허설",
        action="`minwon cluster rehearse F3`(또는 F2a 등)로 장애 전환 리허설을 하세요.",
    )
