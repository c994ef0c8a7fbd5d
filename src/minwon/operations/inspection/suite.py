"""Every readiness check, in the order a report lists them, and one call that runs them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from minwon.operations.inspection import checks_cluster as c
from minwon.operations.inspection import checks_host as h
from minwon.operations.inspection import checks_nodes as n
from minwon.operations.inspection import checks_records as r
from minwon.operations.inspection.model import CheckResult, InspectionReport, Thresholds
from minwon.operations.inspection.ports import ClusterView, Context, HostView, RecordsView
from minwon.operations.inspection.runner import Check, run_checks

# (id, Korean title, check): ids are stable machine codes, never renamed.
CHECKS: tuple[tuple[str, str, Callable[[Context], CheckResult]], ...] = (
    ("cluster.members", "구성원 역할", c.members),
    ("cluster.sync_standby", "동기 대기 서버", c.sync_standby),
    ("cluster.replication_lag", "복제 지연", c.replication_lag),
    ("cluster.timelines", "타임라인 일치", c.timelines),
    ("cluster.self_healing", "자동 복구(감시자·가드)", c.self_healing),
    ("etcd.quorum", "etcd 정족수", c.etcd_quorum),
    ("etcd.db_size", "etcd DB 크기", c.etcd_db_size),
    ("database.size", "데이터베이스 크기", c.database_size),
    ("haproxy.paths", "HAProxy 경로와 백엔드", c.haproxy_paths),
    ("app.instances", "앱 인스턴스와 버전", c.app_instances),
    ("backup.last", "마지막 백업", r.backup_age),
    ("backup.verify", "백업 검증", r.backup_verify),
    ("backup.wal_archive", "WAL 아카이브 지연", r.wal_archive),
    ("dr.lag", "제2 사이트 지연", r.second_site),
    ("backup.drill", "마지막 복구 훈련", r.drill_age),
    ("cluster.failover_rehearsal", "마지막 장애 전환 리허설", r.rehearsal_age),
    ("cert.signing", "문서 서명 인증서", h.signing_certificate),
    ("cert.root", "루트 인증서와 키", h.root_certificate),
    ("cert.tls", "TLS 인증서와 키", h.tls_certificates),
    ("host.disk", "디스크·아이노드 여유", h.disk_headroom),
    ("host.clock_skew", "노드 간 시계 차이", n.clock_skew),
    ("rendering.fonts", "문서 글꼴", h.fonts),
    ("catalog.valid", "문서 종류 카탈로그", h.catalog),
    ("config.drift", "노드 간 설정 차이", n.config_drift),
)


def checks_for(ctx: Context, only: tuple[str, ...] = ()) -> list[Check]:
    """Returns the checks bound to `ctx` (those whose id starts with one of `only`)."""
    slow = {"backup.verify": ctx.thresholds.verify_timeout_seconds}
    return [
        Check(id, title, partial(fn, ctx), slow.get(id))
        for id, title, fn in CHECKS
        if not only or any(id.startswith(prefix) for prefix in only)
    ]


def inspect(
    *,
    cluster: ClusterView,
    records: RecordsView,
    host: HostView,
    thresholds: Thresholds,
    target: str = "",
    only: tuple[str, ...] = (),
    now: datetime | None = None,
) -> InspectionReport:
    """Runs every check (or those `only` names) concurrently; returns the report."""
    moment = now or datetime.now(UTC)
    ctx = Context(cluster, records, host, thresholds, moment)
    return run_checks(
        checks_for(ctx, only), timeout=thresholds.timeout_seconds, target=target, now=moment
    )
