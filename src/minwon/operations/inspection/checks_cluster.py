"""Checks of the database cluster, etcd, the load-balancer paths, the apps and the nodes.

Each is a function of the ``Context`` (``ports.py``) returning one graded result; losing
redundancy (a member, a path, an app instance down) is 위험: the next failure stops
service, which is exactly what an inspection is there to catch beforehand.
"""

from __future__ import annotations

import json

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


def members(ctx: Context) -> CheckResult:
    """Returns 정상 with one leader and every member running or streaming."""
    id, title = "cluster.members", "구성원 역할"
    status = ctx.cluster.status()
    roles = {m.name: f"{m.role}/{m.state}" for m in status.members}
    leaders = [m.name for m in status.members if m.is_leader]
    if len(leaders) != 1:
        return critical(
            id,
            title,
            f"리더가 {len(leaders)}개입니다 (정확히 1개여야 함): {leaders or '없음'}.",
            "Patroni 로그와 etcd를 확인하고 `minwon cluster status`로 리더를 확인하세요.",
            roles=roles,
        )
    wrong = [
        f"{m.name}({m.role}, {m.state})"
        for m in status.members
        if (m.is_leader and m.state not in ("running", "streaming"))
        or (not m.is_leader and m.state != "streaming")
    ]
    missing = status.expected_members - len(status.members)
    if missing > 0 or wrong:
        said = ([f"{missing}대가 보고되지 않음"] if missing > 0 else []) + wrong
        return critical(
            id,
            title,
            "이중화가 깨졌습니다: " + ", ".join(said) + ". 한 대 더 잃으면 쓰기가 멈춥니다.",
            "멈춘 노드를 `minwon cluster start patroni:<노드>`로 살리고 로그를 확인하세요.",
            roles=roles,
            expected=status.expected_members,
        )
    return ok(
        id, title, f"리더 {leaders[0]}, 구성원 {len(status.members)}대 모두 정상.", roles=roles
    )


def sync_standby(ctx: Context) -> CheckResult:
    """Returns 위험 when no synchronous (quorum) standby is there: strict mode stops
    every commit until one is."""
    id, title = "cluster.sync_standby", "동기 대기 서버"
    status = ctx.cluster.status()
    if status.following:
        return ok(id, title, "대기 사이트: 주 사이트를 따르므로 동기 대기 서버가 없습니다.")
    names = status.sync_standbys
    if not names:
        return critical(
            id,
            title,
            "동기(쿼럼) 대기 서버가 없습니다: 엄격 동기 모드에서는 커밋이 확인되지 않습니다.",
            "복제본의 Patroni·PostgreSQL을 살리고 스트리밍을 확인하세요.",
            sync_standbys=[],
        )
    return ok(id, title, f"동기 대기 서버: {', '.join(names)}.", sync_standbys=names)


def replication_lag(ctx: Context) -> CheckResult:
    """Returns the grade of the largest replica lag in bytes (unknown: 위험)."""
    id, title = "cluster.replication_lag", "복제 지연"
    t = ctx.thresholds
    replicas = [m for m in ctx.cluster.status().members if not m.is_leader]
    lags = {m.name: m.lag_bytes for m in replicas}
    if not replicas:
        return critical(id, title, "복제본이 없습니다.", "복제본 노드를 살리세요.", lag_bytes=lags)
    unknown = [name for name, lag in lags.items() if lag is None]
    if unknown:
        return critical(
            id,
            title,
            f"복제 지연을 알 수 없습니다: {', '.join(unknown)}.",
            "해당 복제본이 스트리밍 중인지 확인하세요.",
            lag_bytes=lags,
        )
    worst = max(lag for lag in lags.values() if lag is not None)
    grade = graded(worst, warn_at=t.lag_warn_bytes, critical_at=t.lag_critical_bytes)
    reason = (
        f"가장 큰 복제 지연 {worst:,} 바이트 "
        f"(주의 {t.lag_warn_bytes:,}, 위험 {t.lag_critical_bytes:,})."
    )
    if grade is Grade.OK:
        return ok(id, title, reason, lag_bytes=lags)
    action = "복제본의 디스크·네트워크와 장기 트랜잭션을 확인하세요."
    make = warn if grade is Grade.WARN else critical
    return make(id, title, reason, action, lag_bytes=lags)


def timelines(ctx: Context) -> CheckResult:
    """Returns 위험 when a member is on another timeline than the leader's."""
    id, title = "cluster.timelines", "타임라인 일치"
    status = ctx.cluster.status()
    lines = {m.name: m.timeline for m in status.members}
    leader = next((m for m in status.members if m.is_leader), None)
    if leader is None or leader.timeline is None:
        return critical(
            id, title, "리더의 타임라인을 알 수 없습니다.", "리더를 확인하세요.", timelines=lines
        )
    apart = [f"{n}={tl}" for n, tl in lines.items() if tl != leader.timeline]
    if apart:
        return critical(
            id,
            title,
            f"리더 {leader.name}의 타임라인 {leader.timeline}과 다른 구성원: {', '.join(apart)}.",
            "갈라진 복제본은 `patronictl reinit` 또는 pg_rewind로 다시 맞추세요.",
            timelines=lines,
        )
    return ok(id, title, f"모든 구성원이 타임라인 {leader.timeline}.", timelines=lines)


def self_healing(ctx: Context) -> CheckResult:
    """Returns 위험 when the supervisor or a guard is not running, or a part is held."""
    id, title = "cluster.self_healing", "자동 복구(감시자·가드)"
    status = ctx.cluster.status()
    if status.supervisor is None:
        return not_configured(
            id, title, "이 클러스터에는 감시자가 없습니다 (실제 호스트: systemd가 다시 시작)."
        )
    found = list(status.supervisor.problems)
    found += [f"{name}의 가드가 실행 중이 아님" for name in status.unguarded]
    held = list(status.supervisor.held)
    if found:
        return critical(
            id,
            title,
            "; ".join(found),
            "`minwon cluster status`로 확인하고 감시자·가드를 다시 시작하세요.",
            held=held,
        )
    if held:
        return warn(
            id,
            title,
            f"일부러 내려 둔 구성요소가 있습니다: {', '.join(held)}.",
            "작업이 끝났으면 `minwon cluster start <구성요소>`로 되살리세요.",
            held=held,
        )
    return ok(id, title, "감시자와 모든 가드가 실행 중입니다.")


def etcd_quorum(ctx: Context) -> CheckResult:
    """Returns 위험 without a majority, 주의 with one member down."""
    id, title = "etcd.quorum", "etcd 정족수"
    members = ctx.cluster.etcd()
    answered = [m.name for m in members if m.answered]
    down = [m.name for m in members if not m.answered]
    leaders = {m.leader for m in members if m.answered and m.leader}
    measured = {"answered": answered, "down": down, "leaders": sorted(leaders)}
    if len(answered) <= len(members) // 2 or not members:
        return critical(
            id,
            title,
            f"etcd 정족수 없음: {len(answered)}/{len(members)}대 응답.",
            "etcd 구성원을 살리세요: 정족수 없이는 장애 조치가 불가능합니다.",
            **measured,
        )
    if len(leaders) > 1:
        return critical(
            id,
            title,
            f"etcd 구성원이 서로 다른 리더를 가리킵니다: {sorted(leaders)}.",
            "etcd 로그와 네트워크 분할을 확인하세요.",
            **measured,
        )
    if down:
        return critical(
            id,
            title,
            f"etcd {', '.join(down)} 응답 없음: 정족수는 있으나 한 대 더 잃으면 잃습니다.",
            "멈춘 etcd 구성원을 살리세요.",
            **measured,
        )
    return ok(id, title, f"etcd {len(members)}대 모두 응답, 리더 하나.", **measured)


def etcd_db_size(ctx: Context) -> CheckResult:
    """Returns the grade of the largest etcd database (writes stop at its quota)."""
    id, title = "etcd.db_size", "etcd DB 크기"
    t = ctx.thresholds
    sizes = {m.name: m.db_size for m in ctx.cluster.etcd() if m.db_size is not None}
    if not sizes:
        return critical(
            id, title, "etcd DB 크기를 읽지 못했습니다.", "etcd가 응답하는지 확인하세요."
        )
    worst = max(sizes.values())
    grade = graded(worst, warn_at=t.etcd_db_warn_bytes, critical_at=t.etcd_db_critical_bytes)
    reason = f"가장 큰 etcd DB {worst / MIB:.1f} MiB (주의 {t.etcd_db_warn_bytes / MIB:.0f} MiB)."
    if grade is Grade.OK:
        return ok(id, title, reason, db_size_bytes=sizes)
    action = "`etcdctl compact` 후 `etcdctl defrag`로 줄이세요."
    return (warn if grade is Grade.WARN else critical)(
        id, title, reason, action, db_size_bytes=sizes
    )


def database_size(ctx: Context) -> CheckResult:
    """Returns the grade of ``pg_database_size`` of the app database."""
    id, title = "database.size", "데이터베이스 크기"
    t = ctx.thresholds
    size = ctx.cluster.database_size()
    grade = graded(size, warn_at=t.db_size_warn_bytes, critical_at=t.db_size_critical_bytes)
    reason = f"앱 DB {size / MIB:,.1f} MiB (주의 {t.db_size_warn_bytes / MIB:,.0f} MiB)."
    if grade is Grade.OK:
        return ok(id, title, reason, size_bytes=size)
    action = "용량 증설, 보존 기간이 지난 자료 정리와 백업 저장소 여유를 함께 계획하세요."
    return (warn if grade is Grade.WARN else critical)(id, title, reason, action, size_bytes=size)


def haproxy_paths(ctx: Context) -> CheckResult:
    """Returns 위험 when a path does not reach the primary or its runtime API is silent,
    주의 when a path sends no work to one of its servers."""
    id, title = "haproxy.paths", "HAProxy 경로와 백엔드"
    paths = ctx.cluster.paths()
    measured = {
        p.name: {
            "reaches_primary": p.reaches_primary,
            "servers": None
            if p.servers is None
            else {f"{s.backend}/{s.name}": s.status for s in p.servers},
        }
        for p in paths
    }
    dead = [p.name for p in paths if not p.reaches_primary]
    silent = [p.name for p in paths if p.servers is None]
    if not paths or dead or silent:
        said = [f"경로 {n}: 프라이머리에 닿지 않음" for n in dead]
        said += [f"경로 {n}: 관리 소켓이 응답하지 않음" for n in silent if n not in dead]
        return critical(
            id,
            title,
            "; ".join(said) or "HAProxy 경로가 없습니다.",
            "멈춘 HAProxy를 `minwon cluster start haproxy:<이름>`로 살리세요: 남은 경로 하나가 "
            "끊기면 서비스가 멈춥니다.",
            paths=measured,
        )
    down = [
        f"{p.name}:{s.backend}/{s.name}={s.status}"
        for p in paths
        for s in p.servers or ()
        if not s.up and s.backend == "minwon_apps"
    ]
    if down:
        return warn(
            id,
            title,
            f"경로가 일을 보내지 않는 앱 서버: {', '.join(down)}.",
            "해당 앱 인스턴스를 확인하고, 배포가 끝났으면 `ready` 상태로 돌리세요.",
            paths=measured,
        )
    return ok(
        id, title, f"경로 {len(paths)}개 모두 프라이머리에 닿고 백엔드가 정상.", paths=measured
    )


def app_instances(ctx: Context) -> CheckResult:
    """Returns 위험 when an instance is not ready, 주의 when they run different builds."""
    id, title = "app.instances", "앱 인스턴스와 버전"
    apps = ctx.cluster.apps()
    builds = {a.name: a.build for a in apps}
    down = [a.name for a in apps if not a.ready]
    if not apps or down:
        return critical(
            id,
            title,
            f"준비되지 않은 앱 인스턴스: {', '.join(down) or '인스턴스 없음'} ({len(apps)}대 중).",
            "`minwon cluster start app:<이름>`으로 살리고 앱 로그를 확인하세요.",
            builds=builds,
            down=down,
        )
    if len(set(builds.values())) > 1:
        return warn(
            id,
            title,
            f"인스턴스마다 빌드가 다릅니다: {json.dumps(builds, ensure_ascii=False)}.",
            "진행 중인 배포가 없다면 `minwon release run`으로 한 빌드로 맞추세요.",
            builds=builds,
        )
    return ok(
        id,
        title,
        f"{len(apps)}대 모두 준비, 같은 빌드 {next(iter(builds.values()))}.",
        builds=builds,
    )
