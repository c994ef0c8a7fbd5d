"""Steps of the hung-primary runbooks: the primary stops answering without dying.

A paused (SIGSTOP) postmaster, postmaster with its backends, or whole node keeps every
"is it running?" check happy. The guard beside each Patroni (``cluster/guard.py``)
fences a primary that answers nothing for a few seconds, so that Patroni fails it over
as after a crash; a whole hung node loses its leader lease like a dead one. When the old
primary wakes up it must not acknowledge anything.
"""

from __future__ import annotations

from collections.abc import Callable

from minwon.operations.cluster.faults import PauseTarget, node, postmaster_only, whole_postgres
from minwon.operations.scenarios.context import ScenarioContext, StepFailedError
from minwon.operations.scenarios.gray_steps import pause_of
from minwon.operations.scenarios.steps import Keyword, Step

# How long a commit sent to the woken old primary is given to come back (it must not).
COMMIT_WAIT_SECONDS = 3.0


def _leader(ctx: ScenarioContext) -> str:
    ctx.old_primary = ctx.cluster.leader()
    return ctx.old_primary


def _pause_primary(target: Callable[[str], PauseTarget]) -> Callable[[ScenarioContext], str]:
    """Returns an action that pauses `target` of the current leader."""
    return pause_of(_leader, target)


PAUSE_PRIMARY_POSTMASTER = Step(
    Keyword.WHEN,
    "SIGSTOP the primary's postmaster alone: no new connection is accepted, the backends "
    "already connected go on, Patroni and HAProxy still call it the primary",
    _pause_primary(postmaster_only),
    how="kill -STOP <리더 postmaster PID> (minwon cluster pause postmaster@<리더>)",
    ko="주 서버의 postmaster만 SIGSTOP으로 멈춘다: 새 연결은 받지 못하고, 이미 붙은 "
    "백엔드는 계속 돌며, Patroni와 HAProxy는 여전히 주 서버로 본다",
)
PAUSE_PRIMARY_POSTGRES = Step(
    Keyword.WHEN,
    "SIGSTOP the primary's postmaster and every backend: the database hangs, Patroni runs",
    _pause_primary(whole_postgres),
    how="kill -STOP <리더 postmaster와 모든 자식 PID> (minwon cluster pause postgres@<리더>)",
    ko="주 서버의 postmaster와 모든 백엔드를 SIGSTOP으로 멈춘다: DB는 멈추고 Patroni는 돈다",
)
PAUSE_PRIMARY_NODE = Step(
    Keyword.WHEN,
    "SIGSTOP the primary's whole node: Patroni, its guard and PostgreSQL hang together",
    _pause_primary(node),
    how="kill -STOP <리더의 Patroni, guard, PostgreSQL PID> (minwon cluster pause node@<리더>)",
    ko="주 서버 노드 전체를 SIGSTOP으로 멈춘다: Patroni, guard, PostgreSQL이 함께 멈춘다",
)


def _old_primary_acknowledges_nothing(ctx: ScenarioContext) -> str:
    old = ctx.previous_primary()
    new = ctx.cluster.leader()
    if new == old:
        raise StepFailedError(f"{old} still leads: there was no failover to check")
    if ctx.ledger.acknowledges_commit(ctx.cluster.member_url(old), COMMIT_WAIT_SECONDS):
        raise StepFailedError(f"the woken old primary {old} acknowledged a commit ({new} leads)")
    return f"a commit sent to the woken {old} was not acknowledged within {COMMIT_WAIT_SECONDS:g} s"


OLD_PRIMARY_ACKNOWLEDGES_NOTHING = Step(
    Keyword.THEN,
    "a commit sent straight to the woken old primary is not acknowledged: one primary "
    "takes writes at a time",
    _old_primary_acknowledges_nothing,
    how="psql -h <옛 주 서버> -c 'CREATE TABLE t (x int)': 커밋이 돌아오면 안 된다",
    ko="깨어난 옛 주 서버에 직접 보낸 커밋이 승인되지 않는다: 쓰기를 받는 주 서버는 하나뿐이다",
)
