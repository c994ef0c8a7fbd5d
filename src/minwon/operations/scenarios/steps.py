"""The named steps fault runbooks are made of; tests, records and the CLI share them.

A step is a sentence a person can follow (``name``, with ``how`` to do it by hand) and
the code that does or checks it against a ``ScenarioContext``. Steps that start with
``Given`` set the scene, ``When`` act, ``Then`` wait for or check an outcome. A check
that does not hold raises StepFailedError with what it saw; nothing here asserts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import structlog

from minwon.operations.clock import wait_until
from minwon.operations.cluster.faults import (
    ProcessRef,
    app,
    etcd,
    haproxy,
    patroni,
    postmaster,
)
from minwon.operations.cluster.status import ClusterStatus
from minwon.operations.cluster.tuning import MAX_HEALTHY_LAG_BYTES
from minwon.operations.load import longest_gap
from minwon.operations.scenarios.context import ScenarioContext, StepFailedError

POLL = 0.25  # seconds between looks at the cluster while waiting


class Keyword(StrEnum):
    """Given sets the scene, When acts, Then waits for or checks an outcome."""

    GIVEN = "Given"
    WHEN = "When"
    THEN = "Then"

    @property
    def ko(self) -> str:
        """Returns the keyword as the printed runbook shows it to an operator."""
        return {"Given": "전제", "When": "조치", "Then": "확인"}[self.value]


@dataclass(frozen=True, eq=False)  # a step is itself: two steps never compare equal
class Step:
    """One runbook step: a sentence, how a person does it, and the code that does it.

    ``name`` is the sentence tests and records use; ``ko`` is the same step as the printed
    runbook gives it to a city operator, and ``how`` (in Korean) how to do it by hand.
    """

    keyword: Keyword
    name: str
    action: Callable[[ScenarioContext], str]  # returns what it saw, for the record
    how: str = ""
    ko: str = ""
    always: bool = False  # runs even after a given/when step failed (repair, cleanup)
    heals: bool = False  # part of "the cluster healed"


# -- given ------------------------------------------------------------------------------


def _healthy_cluster(ctx: ScenarioContext) -> str:
    status = ctx.cluster.wait_healthy(ctx.settings.heal_timeout)
    ctx.before = status
    return f"leader {status.leader}, synchronous standby {', '.join(status.sync_standbys)}"


def start_load(ctx: ScenarioContext) -> str:
    """Starts the scenario's load and waits until it has acknowledged issuances."""
    ctx.load = ctx.new_load()
    ctx.load.start()
    ctx.clock.sleep(ctx.settings.warmup)
    load = ctx.load
    if not wait_until(lambda: load.acks_since(float("-inf")) > 0, timeout=30, clock=ctx.clock):
        raise StepFailedError("no issuance acknowledged while warming up")
    return f"{load.acks_since(float('-inf'))} issuances acknowledged while warming up"


HEALTHY_CLUSTER = Step(
    Keyword.GIVEN,
    "a healthy cluster: one leader, a streaming synchronous standby, three etcd members, "
    "both HAProxy paths to the primary and every app instance ready",
    _healthy_cluster,
    how="minwon cluster status (종료 코드 0)",
    ko="클러스터가 정상이다: 리더 하나, 스트리밍 중인 동기 대기 서버, etcd 세 대, "
    "두 HAProxy 경로 모두 주 서버로 연결, 앱 인스턴스 모두 준비됨",
)
STEADY_LOAD = Step(
    Keyword.GIVEN,
    "steady issuance load: kiosk clients with idempotency keys issuing 등본 back to back "
    "through both app instances, which reach PostgreSQL over both HAProxy paths",
    start_load,
    how="Idempotency-Key로 재시도하는 무인발급기·창구 클라이언트 (make bench-failover)",
    ko="발급 부하가 꾸준하다: Idempotency-Key를 쓰는 무인발급기 클라이언트가 두 앱 인스턴스로 "
    "등본을 쉬지 않고 발급하고, 앱은 두 HAProxy 경로로 PostgreSQL에 닿는다",
)


# -- when: faults -----------------------------------------------------------------------


def _kill(
    *targets: Callable[[str], ProcessRef], hold: bool = False
) -> Callable[[ScenarioContext], str]:
    """Returns an action that kills, in order, the processes named from the leader; with
    `hold` the supervisor leaves them down (a dead host) until the repair starts them."""

    def action(ctx: ScenarioContext) -> str:
        ctx.old_primary = ctx.cluster.leader()
        refs = [target(ctx.old_primary) for target in targets]
        ctx.fault_begins()
        for ref in refs:
            ctx.cluster.kill(ref, hold=hold)
            ctx.killed.append(ref)
        # The fault is whole once the last kill is done (etcd loses quorum at its second).
        ctx.figures["killed_at"] = round(ctx.clock.now().timestamp(), 3)
        held = ", held down" if hold else ""
        return f"killed {', '.join(map(str, refs))}{held} (primary was {ctx.old_primary})"

    return action


def _fixed(ref: ProcessRef) -> Callable[[str], ProcessRef]:
    return lambda _leader: ref


KILL_PRIMARY_POSTMASTER = Step(
    Keyword.WHEN,
    "kill -9 the primary's postmaster (its Patroni keeps running)",
    _kill(postmaster),
    how="minwon cluster kill postgres:<리더>",
    ko="주 서버의 postmaster를 kill -9로 죽인다 (Patroni는 계속 돈다)",
)
KILL_PRIMARY_HOST = Step(
    Keyword.WHEN,
    "kill -9 the primary's Patroni and then its postmaster, held down so that the "
    "supervisor does not start them again: the host is dead",
    _kill(patroni, postmaster, hold=True),
    how="minwon cluster kill --hold patroni:<리더>; minwon cluster kill --hold postgres:<리더>",
    ko="주 서버의 Patroni와 postmaster를 차례로 kill -9로 죽이고 감독자가 다시 띄우지 않게 "
    "멈춰 둔다: 호스트가 죽은 것과 같다",
)
KILL_HAPROXY_PATH = Step(
    Keyword.WHEN,
    "kill -9 HAProxy path 1",
    _kill(_fixed(haproxy("1"))),
    how="minwon cluster kill haproxy:1",
    ko="HAProxy 경로 1을 kill -9로 죽인다",
)
KILL_APP_INSTANCE = Step(
    Keyword.WHEN,
    "kill -9 app instance 1 while its requests are in flight",
    _kill(_fixed(app("1"))),
    how="minwon cluster kill app:1",
    ko="요청을 처리하는 중인 앱 인스턴스 1을 kill -9로 죽인다",
)
KILL_ETCD_MAJORITY = Step(
    Keyword.WHEN,
    "kill -9 etcd members e1 and e2, held down so that the supervisor does not start them "
    "again: etcd loses quorum",
    _kill(_fixed(etcd("e1")), _fixed(etcd("e2")), hold=True),
    how="minwon cluster kill --hold etcd:e1; minwon cluster kill --hold etcd:e2",
    ko="etcd e1과 e2를 kill -9로 죽이고 감독자가 다시 띄우지 않게 멈춰 둔다: "
    "etcd가 정족수를 잃는다",
)


# -- then: the service comes back -------------------------------------------------------


def _issuance_resumes(ctx: ScenarioContext) -> str:
    load, injected = ctx.running_load(), ctx.fault_time()
    timeout = ctx.settings.resume_timeout

    def resumed() -> bool:
        return load.acks_since(injected + 0.05) > 0

    if not wait_until(resumed, timeout=timeout, clock=ctx.clock, interval=0.05):
        raise StepFailedError(f"no issuance acknowledged within {timeout:.0f} s of the fault")
    # When the first one came, not when this step looked (it may run after other checks).
    after = [a.at for a in load.acknowledged() if a.at > injected + 0.05]
    ctx.resumed = min(after, default=ctx.clock.monotonic())
    return f"first issuance acknowledged {ctx.resumed - injected:.2f} s after the fault"


ISSUANCE_RESUMES = Step(
    Keyword.THEN,
    "wait until issuance resumes: an issuance acknowledged after the fault",
    _issuance_resumes,
    how="무인발급기·창구에서 발급이 다시 되는지 본다",
    ko="발급이 다시 될 때까지 기다린다: 장애 뒤에 승인된 발급이 하나 나온다",
)


def wait_for(ctx: ScenarioContext, what: str, check: Callable[[ClusterStatus], str | None]) -> str:
    """Polls the status until `check` returns a note; StepFailedError after the timeout.

    Records the wall time of the look that saw it (``<what>_at``, and ``<what>_seen_by``
    when that look ended) and of the look before, which did not (``<what>_not_yet_at``):
    it happened between the two (a status takes a while), and incidents are compared
    with that.
    """
    found: list[str] = []
    last: list[ClusterStatus] = []

    def ready() -> bool:
        looked_at = ctx.clock.now().timestamp()
        last[:] = [ctx.cluster.status()]
        note = check(last[0])
        found[:] = [note] if note else []
        if found:
            ctx.figures[f"{what}_at"] = round(looked_at, 3)
            # The look took a while: what it saw held by the time it ended, at the latest.
            ctx.figures[f"{what}_seen_by"] = round(ctx.clock.now().timestamp(), 3)
        else:
            ctx.figures[f"{what}_not_yet_at"] = round(looked_at, 3)
        return bool(found)

    timeout = ctx.settings.heal_timeout
    if not wait_until(ready, timeout=timeout, clock=ctx.clock, interval=POLL):
        seen = "; ".join(last[0].problems) if last else "no status"
        raise StepFailedError(f"not {what} within {timeout:.0f} s (last seen: {seen})")
    return found[0]


def _timeline_before(ctx: ScenarioContext) -> int:
    members = ctx.before.members if ctx.before else ()
    return max((m.timeline or 0 for m in members), default=0)


def _standby_promoted(ctx: ScenarioContext) -> str:
    old, before = ctx.previous_primary(), _timeline_before(ctx)
    sync_before = ctx.before.sync_standbys if ctx.before else []

    def check(status: ClusterStatus) -> str | None:
        leader = status.member(status.leader or "")
        if leader is None or leader.name == old or leader.state != "running":
            return None
        if leader.timeline is None or leader.timeline <= before:
            return None
        was = "the" if leader.name in sync_before else "not the"
        return (
            f"{leader.name} leads on timeline {leader.timeline} (was {old} on {before}); "
            f"it was {was} synchronous standby"
        )

    return wait_for(ctx, "promoted", check)


def _old_primary_rejoins(ctx: ScenarioContext) -> str:
    old = ctx.previous_primary()

    def check(status: ClusterStatus) -> str | None:
        leader, member = status.member(status.leader or ""), status.member(old)
        if leader is None or member is None or member.is_leader:
            return None
        if member.state != "streaming" or member.timeline != leader.timeline:
            return None
        if member.lag_bytes is None or member.lag_bytes > MAX_HEALTHY_LAG_BYTES:
            return None
        return (
            f"{old} streams from {leader.name} on timeline {member.timeline}, "
            f"lag {member.lag_bytes} bytes"
        )

    return wait_for(ctx, "rejoined", check)


STANDBY_PROMOTED = Step(
    Keyword.THEN,
    "wait until Patroni has promoted another member: a running leader on a newer timeline",
    _standby_promoted,
    how="minwon cluster status: 새 리더, 타임라인이 하나 높다",
    ko="Patroni가 다른 서버를 승격할 때까지 기다린다: 더 새 타임라인에서 도는 리더",
)
OLD_PRIMARY_REJOINS = Step(
    Keyword.THEN,
    "wait until the old primary is a replica streaming from the new leader on its "
    "timeline, lag under 16 MiB (Patroni rewound it)",
    _old_primary_rejoins,
    how="minwon cluster status: 옛 주 서버가 'streaming', 리더와 같은 타임라인",
    ko="옛 주 서버가 새 리더의 타임라인에서 스트리밍하는 복제 서버가 될 때까지 기다린다 "
    "(지연 16 MiB 미만, Patroni가 되감음)",
    heals=True,
)


def _primary_kept_its_role(ctx: ScenarioContext) -> str:
    old = ctx.previous_primary()
    roles = {m: ctx.ledger.is_primary(ctx.cluster.member_url(m)) for m in ctx.cluster.members()}
    if roles.get(old) is not True:
        raise StepFailedError(f"{old} no longer takes writes: {roles}")
    others = [m for m, writable in roles.items() if writable and m != old]
    if others:
        raise StepFailedError(f"split brain: {others} take writes besides {old}")
    return f"{old} is the only member that takes writes: {roles}"


PRIMARY_KEPT_ITS_ROLE = Step(
    Keyword.THEN,
    "the old primary still takes writes at the end of the outage (failsafe mode) and no "
    "other member does",
    _primary_kept_its_role,
    how="서버마다 SELECT pg_is_in_recovery(): 옛 주 서버만 false",
    ko="장애가 끝날 때까지 옛 주 서버가 계속 쓰기를 받고 (failsafe 모드) 다른 서버는 받지 않는다",
)


# -- then: healed, and nothing lost -----------------------------------------------------


def _cluster_healthy(ctx: ScenarioContext) -> str:
    status = ctx.cluster.wait_healthy(ctx.settings.heal_timeout)
    return f"healthy again: leader {status.leader}"


CLUSTER_HEALTHY = Step(
    Keyword.THEN,
    "wait until the whole cluster is healthy again (every member, etcd, path and app)",
    _cluster_healthy,
    how="minwon cluster status (종료 코드 0)",
    ko="클러스터 전체가 다시 정상일 때까지 기다린다 (모든 서버, etcd, 경로, 앱)",
    always=True,
    heals=True,
)


def _stop_load(ctx: ScenarioContext) -> str:
    if ctx.load is None:
        return "no load was running"
    ctx.clock.sleep(ctx.settings.settle)
    ctx.ended = ctx.clock.monotonic()
    ctx.result = ctx.load.stop()
    ctx.load = None
    return f"{len(ctx.result.acks)} acknowledged, {len(ctx.result.failures)} failed requests"


LOAD_STOPPED = Step(
    Keyword.WHEN,
    "the load runs a few seconds more, then stops and its requests in flight finish",
    _stop_load,
    ko="부하를 몇 초 더 돌린 뒤 멈추고, 처리 중인 요청이 끝나기를 기다린다",
    always=True,
)


def _issued_gap(ctx: ScenarioContext, times: list[float]) -> None:
    """Figures the longest time without issuing among the acknowledged issuances, each
    dated by its own ``issued_at`` (an answer may come seconds after its document was
    issued: a PDF stored after the commit waits out the failover). Wall times, from
    half a second before the fault until the load stopped; what the incident watcher's
    gap is compared with."""
    wall = ctx.figures.get("injected_at")
    if wall is None or ctx.injected is None or ctx.ended is None or not times:
        return
    start, end = wall - 0.5, wall + (ctx.ended - ctx.injected)
    gap, began = longest_gap(times, start, end)
    ctx.figures["issued_gap_seconds"] = round(gap, 3)
    ctx.figures["issued_gap_began_at"] = round(began, 3)


def _nothing_lost_or_doubled(ctx: ScenarioContext) -> str:
    if ctx.result is None:
        raise StepFailedError("the load never stopped, so there is nothing to check")
    acks = ctx.result.acks
    ctx.new_primary = ctx.cluster.leader()
    numbers = [a.number for a in acks]
    lost, duplicated = ctx.ledger.audit(ctx.cluster.member_url(ctx.new_primary), numbers)
    duplicated += len(acks) - len({a.key for a in acks})  # one key answered twice
    ctx.lost, ctx.duplicated = lost, duplicated
    try:  # a figure for the incidents, never a reason to fail the audit
        _issued_gap(ctx, ctx.ledger.issued_times(ctx.cluster.member_url(ctx.new_primary), numbers))
    except Exception as exc:
        structlog.get_logger().warning("scenario.issued_gap_unread", error=str(exc))
    failures = len(ctx.result.failures)
    if lost or duplicated or failures:
        raise StepFailedError(
            f"{lost} acknowledged issuances missing on {ctx.new_primary}, {duplicated} issued "
            f"or charged twice, {failures} requests given up or refused"
        )
    return f"all {len(acks)} acknowledged issuances on {ctx.new_primary}, each once"


NOTHING_LOST_OR_DOUBLED = Step(
    Keyword.THEN,
    "check on the leader: no acknowledged issuance is lost, none is issued or charged "
    "twice, no request was given up",
    _nothing_lost_or_doubled,
    how="승인된 문서확인번호가 모두 issuances에 있고, request_ref가 두 번 없고, 수수료는 한 번씩",
    ko="리더에서 확인한다: 승인된 발급이 하나도 없어지지 않았고, 두 번 발급·결제된 것이 없고, "
    "포기한 요청이 없다",
    always=True,
)
