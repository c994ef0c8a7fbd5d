"""Steps of the gray-failure runbooks: parts that hang instead of dying, and a planned
switchover. Like ``steps.py``, each step is a sentence, how to do it by hand, and code
that does or checks it; a check that does not hold raises StepFailedError.
"""

from __future__ import annotations

from collections.abc import Callable

from minwon.operations.clock import wait_until
from minwon.operations.cluster.faults import PauseTarget, walreceiver, whole_postgres
from minwon.operations.cluster.status import ClusterStatus
from minwon.operations.scenarios.context import ScenarioContext, StepFailedError
from minwon.operations.scenarios.steps import POLL, Keyword, Step

# A hung part must show in ``minwon cluster status`` within this many seconds: three
# missed replies (MAX_REPLY_AGE_SECONDS) plus a status round.
SHOWN_WITHIN = 8.0
REPLAYED_WITHIN = 5.0  # seconds for a standby to make flushed commits visible


def _sync_standby(ctx: ScenarioContext) -> str:
    status = ctx.cluster.status()
    sync = status.sync_standbys
    if status.leader is None or not sync:
        raise StepFailedError(f"no leader with a synchronous standby: {status.problems}")
    ctx.old_primary = status.leader
    return sync[0]


def pause_of(
    pick: Callable[[ScenarioContext], str], target: Callable[[str], PauseTarget]
) -> Callable[[ScenarioContext], str]:
    """Returns an action that pauses `target` of the member `pick` names at that moment."""

    def action(ctx: ScenarioContext) -> str:
        paused = target(pick(ctx))
        ctx.fault_begins()
        pids = ctx.cluster.pause(paused)
        ctx.paused.append(paused)
        return f"paused {paused} ({len(pids)} processes; primary {ctx.old_primary})"

    return action


def _pause_sync(target: Callable[[str], PauseTarget]) -> Callable[[ScenarioContext], str]:
    """Returns an action that pauses `target` of the current synchronous standby."""
    return pause_of(_sync_standby, target)


PAUSE_SYNC_WALRECEIVER = Step(
    Keyword.WHEN,
    "SIGSTOP the synchronous standby's walreceiver: replication hangs, nothing dies",
    _pause_sync(walreceiver),
    how="kill -STOP <동기 대기 서버의 walreceiver PID> (minwon cluster의 pause)",
    ko="동기 대기 서버의 walreceiver를 SIGSTOP으로 멈춘다: 복제가 멈추고 죽는 것은 없다",
)
PAUSE_SYNC_POSTGRES = Step(
    Keyword.WHEN,
    "SIGSTOP the synchronous standby's whole PostgreSQL (postmaster and every child)",
    _pause_sync(whole_postgres),
    how="kill -STOP <동기 대기 서버의 postmaster와 모든 자식 PID>",
    ko="동기 대기 서버의 PostgreSQL 전체(postmaster와 모든 자식)를 SIGSTOP으로 멈춘다",
)


def _paused_shown_unhealthy(ctx: ScenarioContext) -> str:
    names = {target.member for target in ctx.paused}
    seen: list[ClusterStatus] = []

    def shown() -> bool:
        seen[:] = [ctx.cluster.status()]
        return any(name in problem for problem in seen[0].problems for name in names)

    if not wait_until(shown, timeout=SHOWN_WITHIN, clock=ctx.clock, interval=POLL):
        problems = seen[0].problems if seen else []
        raise StepFailedError(
            f"status did not report {sorted(names)} within {SHOWN_WITHIN:g} s: {problems}"
        )
    found = [p for p in seen[0].problems if any(name in p for name in names)]
    return "; ".join(found)


PAUSED_SHOWN_UNHEALTHY = Step(
    Keyword.THEN,
    "minwon cluster status reports the paused standby as unhealthy, with the reason, "
    "though Patroni still calls it streaming",
    _paused_shown_unhealthy,
    how="minwon cluster status: 멈춘 대기 서버가 문제로 나온다 (종료 코드 1)",
    ko="minwon cluster status가 멈춘 대기 서버를 이유와 함께 비정상으로 보고한다 "
    "(Patroni는 여전히 streaming이라 해도)",
)


def _acked_on_a_running_standby(ctx: ScenarioContext) -> str:
    numbers = [ack.number for ack in ctx.running_load().acknowledged()]
    hung = {target.member for target in ctx.paused}
    running = [m for m in ctx.cluster.members() if m != ctx.old_primary and m not in hung]
    missing: dict[str, int] = {}

    def held() -> bool:
        for member in running:
            missing[member], _ = ctx.ledger.audit(ctx.cluster.member_url(member), numbers)
        return any(count == 0 for count in missing.values())

    # A commit is acknowledged once a standby has flushed it; replaying it, which makes it
    # visible there, may take a moment longer.
    if not running or not wait_until(held, timeout=REPLAYED_WITHIN, clock=ctx.clock):
        raise StepFailedError(
            f"acknowledged issuances missing on every standby that is not paused: {missing}"
        )
    holder = next(m for m, count in missing.items() if count == 0)
    return f"all {len(numbers)} issuances acknowledged so far are on {holder}, not paused"


ACKED_ON_A_RUNNING_STANDBY = Step(
    Keyword.THEN,
    "every issuance acknowledged so far is on a standby that is not paused: none "
    "acknowledged that only the hung standby (or nobody) holds",
    _acked_on_a_running_standby,
    how="멈추지 않은 대기 서버에서 승인된 문서확인번호가 모두 issuances에 있는지 본다",
    ko="지금까지 승인된 발급이 모두 멈추지 않은 대기 서버에 있다: 멈춘 서버만 가진 (또는 아무도 "
    "갖지 않은) 승인은 없다",
)


def keep_paused(seconds: float) -> Step:
    """Returns the step that keeps the pause until `seconds` after the fault."""

    def action(ctx: ScenarioContext) -> str:
        ctx.clock.sleep(ctx.fault_time() + seconds - ctx.clock.monotonic())
        return f"{seconds:g} s after the fault"

    return Step(
        Keyword.WHEN,
        f"it stays paused until {seconds:g} s after the fault",
        action,
        ko=f"장애 뒤 {seconds:g}초까지 멈춘 채로 둔다",
    )


def _resume_paused(ctx: ScenarioContext) -> str:
    resumed = []
    while ctx.paused:
        target = ctx.paused.pop()
        ctx.cluster.resume(target)
        resumed.append(str(target))
    if resumed:  # wall time the hang ended (incidents are compared with it)
        ctx.figures["resumed_at"] = round(ctx.clock.now().timestamp(), 3)
    return f"resumed {', '.join(resumed)}" if resumed else "nothing was paused"


RESUME_PAUSED = Step(
    Keyword.WHEN,
    "SIGCONT what was paused: it catches up as a replica",
    _resume_paused,
    how="kill -CONT <멈춘 PID들>",
    ko="멈춘 프로세스에 SIGCONT를 보낸다: 복제 서버로 따라잡는다",
    always=True,
    heals=True,
)


def _switchover(ctx: ScenarioContext) -> str:
    ctx.old_primary = ctx.cluster.leader()
    ctx.fault_begins()
    new = ctx.cluster.switchover()
    # It returns once the old leader streams from the new one (polled every 0.2 s).
    ctx.figures["switched_at"] = round(ctx.clock.now().timestamp(), 3)
    took = ctx.clock.monotonic() - ctx.fault_time()
    return f"{ctx.old_primary} handed over to {new}; settled after {took:.2f} s"


PLANNED_SWITCHOVER = Step(
    Keyword.WHEN,
    "a planned switchover: the leader hands over to its synchronous standby",
    _switchover,
    how="minwon cluster switchover",
    ko="계획된 전환: 리더가 동기 대기 서버에 역할을 넘긴다",
)
