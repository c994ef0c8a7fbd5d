"""Repair steps of the fault runbooks: the supervisor starting a killed part again, a
part kept down for a while, and a person starting what a fault killed (see ``steps.py``).
"""

from __future__ import annotations

from minwon.operations.clock import wait_until
from minwon.operations.cluster.faults import ProcessKind, ProcessRef, patroni
from minwon.operations.cluster.status import ClusterStatus
from minwon.operations.scenarios.context import ScenarioContext, StepFailedError
from minwon.operations.scenarios.steps import POLL, Keyword, Step, wait_for

# -- then: the supervisor heals ---------------------------------------------------------


def serving(status: ClusterStatus, ref: ProcessRef) -> bool:
    """Returns True if the status shows `ref` doing its job again (healthy, ready, ...)."""
    if ref.kind is ProcessKind.ETCD:
        return any(e.name == ref.name and e.healthy for e in status.etcd)
    if ref.kind is ProcessKind.HAPROXY:
        return any(h.name == ref.name and h.reaches_primary for h in status.haproxy)
    if ref.kind is ProcessKind.APP:
        return any(a.name == ref.name and a.ready for a in status.apps)
    member = status.member(ref.name)
    return member is not None and member.state in ("running", "streaming")


def restarted_by_supervisor(what: str, seconds: float, *, what_ko: str) -> Step:
    """Returns the step that waits until the supervisor has started the killed processes
    again and they serve; it fails after `seconds` from the fault, and says how long."""

    def action(ctx: ScenarioContext) -> str:
        injected, refs = ctx.fault_time(), list(ctx.killed)
        before = ctx.before.supervisor if ctx.before else None
        counts = {ref: before.restarted(str(ref)) if before else 0 for ref in refs}
        last: list[ClusterStatus] = []

        def back() -> bool:
            looked_at = ctx.clock.now().timestamp()
            last[:] = [ctx.cluster.status()]
            supervisor = last[0].supervisor
            if supervisor is None:
                raise StepFailedError("no supervisor reports on this cluster")
            done = all(
                supervisor.restarted(str(r)) > counts[r] and serving(last[0], r) for r in refs
            )
            # Wall times of the look that saw it serve and of the one before, which did
            # not: it recovered between the two (incidents are compared with that).
            ctx.figures["recovered_at" if done else "recovered_not_yet_at"] = round(looked_at, 3)
            if done:  # and by when it had surely happened: the end of that look
                ctx.figures["recovered_seen_by"] = round(ctx.clock.now().timestamp(), 3)
            return done

        timeout = injected + seconds - ctx.clock.monotonic()
        if not wait_until(back, timeout=timeout, clock=ctx.clock, interval=POLL):
            seen = "; ".join(last[0].problems) if last else "no status"
            raise StepFailedError(
                f"not started again by the supervisor within {seconds:g} s of the fault "
                f"(last seen: {seen})"
            )
        took = ctx.clock.monotonic() - injected
        return (
            f"{', '.join(map(str, refs))} started again by the supervisor and serving "
            f"{took:.2f} s after the fault"
        )

    return Step(
        Keyword.THEN,
        f"the supervisor starts {what} again within {seconds:g} s of the fault, and it serves",
        action,
        how="minwon cluster status: 감독자의 재시작 횟수가 늘고 구성요소가 정상",
        ko=f"감독자가 장애 뒤 {seconds:g}초 안에 {what_ko} 다시 띄우고, 그것이 다시 제 일을 한다",
        heals=True,
    )


# -- when: repairs ----------------------------------------------------------------------


def keep_down(what: str, seconds: float, *, what_ko: str, plural: bool = False) -> Step:
    """Returns the step that waits until `seconds` after the fault before any repair."""

    def action(ctx: ScenarioContext) -> str:
        ctx.clock.sleep(ctx.fault_time() + seconds - ctx.clock.monotonic())
        return f"{seconds:g} s after the fault"

    verb = "stay" if plural else "stays"
    return Step(
        Keyword.WHEN,
        f"{what} {verb} down until {seconds:g} s after the fault",
        action,
        ko=f"{what_ko}: 장애 뒤 {seconds:g}초까지 죽은 채로 둔다",
    )


def _start_killed(ctx: ScenarioContext) -> str:
    # Patroni starts its PostgreSQL: starting the Patroni of a dead host is the repair.
    refs = [patroni(r.name) if r.kind is ProcessKind.POSTGRES else r for r in ctx.killed]
    refs = list(dict.fromkeys(refs))
    for ref in refs:
        ctx.cluster.start(ref)
    return f"started {', '.join(map(str, refs))}" if refs else "nothing was killed"


def start_again(what: str, how: str, *, what_ko: str, then: str = "", then_ko: str = "") -> Step:
    """Returns the repair step that starts every process the fault killed."""
    name = f"start {what} again" + (f": {then}" if then else "")
    ko = f"{what_ko} 다시 시작" + (f": {then_ko}" if then_ko else "")
    return Step(Keyword.WHEN, name, _start_killed, how=how, ko=ko, always=True)


def _etcd_quorum_back(ctx: ScenarioContext) -> str:
    def check(status: ClusterStatus) -> str | None:
        if not status.etcd or not status.etcd_quorum:
            return None
        healthy = sorted(e.name for e in status.etcd if e.healthy)
        return f"etcd has quorum again: {', '.join(healthy)} healthy of {len(status.etcd)}"

    return wait_for(ctx, "quorum", check)


# The moment quorum is back (``quorum_at``) is the end of F7's etcd incident: a majority
# answers GET /health again, the first started member having rejoined.
ETCD_QUORUM_BACK = Step(
    Keyword.THEN,
    "wait until a majority of etcd members is healthy again (quorum back)",
    _etcd_quorum_back,
    how="minwon cluster status: etcd 과반이 healthy",
    ko="etcd 과반이 다시 정상이 될 때까지 기다린다 (합의 회복)",
    always=True,
    heals=True,
)
