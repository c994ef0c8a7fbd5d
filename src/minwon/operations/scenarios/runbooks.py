"""The fault matrix of DESIGN.md as runbooks: each fault an ordered list of named steps.

``minwon cluster runbook F2a`` prints one for a person; ``tests/scenarios`` run each step
by step in its body; ``run_scenario`` runs all of them for benchmarks. All three use the
step objects listed here, so the printed runbook is the one that was tested.
"""

from __future__ import annotations

from minwon.operations.scenarios.gray_steps import (
    ACKED_ON_A_RUNNING_STANDBY,
    PAUSE_SYNC_POSTGRES,
    PAUSE_SYNC_WALRECEIVER,
    PAUSED_SHOWN_UNHEALTHY,
    PLANNED_SWITCHOVER,
    RESUME_PAUSED,
    keep_paused,
)
from minwon.operations.scenarios.hung_steps import (
    OLD_PRIMARY_ACKNOWLEDGES_NOTHING,
    PAUSE_PRIMARY_NODE,
    PAUSE_PRIMARY_POSTGRES,
    PAUSE_PRIMARY_POSTMASTER,
)
from minwon.operations.scenarios.network_runbooks import LARGE_PACKETS, PARTITION
from minwon.operations.scenarios.release_runbooks import BAD_RELEASES
from minwon.operations.scenarios.repair_steps import (
    ETCD_QUORUM_BACK,
    keep_down,
    restarted_by_supervisor,
    start_again,
)
from minwon.operations.scenarios.runbook import Runbook
from minwon.operations.scenarios.steps import (
    CLUSTER_HEALTHY,
    HEALTHY_CLUSTER,
    ISSUANCE_RESUMES,
    KILL_APP_INSTANCE,
    KILL_ETCD_MAJORITY,
    KILL_HAPROXY_PATH,
    KILL_PRIMARY_HOST,
    KILL_PRIMARY_POSTMASTER,
    LOAD_STOPPED,
    NOTHING_LOST_OR_DOUBLED,
    OLD_PRIMARY_REJOINS,
    PRIMARY_KEPT_ITS_ROLE,
    STANDBY_PROMOTED,
    STEADY_LOAD,
    Step,
)

# A killed HAProxy path or app instance is started again by the supervisor (as systemd's
# Restart= does on real hosts): after its restart delay (0.5 s, 1 s), a round of 0.5 s
# and its own start-up, with room for a loaded machine. Faults that stand for a dead host
# are held down and repaired at fixed moments after the fault, so that runs compare: etcd
# after 10 s, a dead host after 30 s (past the 20 s leader lease, so the failover happens
# while it is down).
HAPROXY_RESTARTED = restarted_by_supervisor("HAProxy path 1", 10, what_ko="HAProxy 경로 1을")
APP_RESTARTED = restarted_by_supervisor("app instance 1", 20, what_ko="앱 인스턴스 1을")
HOST_STAYS_DOWN = keep_down("the old primary's host", 30, what_ko="옛 주 서버의 호스트")
ETCD_STAYS_DOWN = keep_down("etcd e1 and e2", 10, what_ko="etcd e1과 e2", plural=True)
START_OLD_PRIMARY = start_again(
    "the old primary's Patroni",
    "minwon cluster start patroni:<옛 주 서버>",
    what_ko="옛 주 서버의 Patroni",
    then="it starts PostgreSQL, rewinds it and rejoins as a replica",
    then_ko="Patroni가 PostgreSQL을 띄우고 되감아 복제 서버로 다시 붙인다",
)
START_ETCD_MEMBERS = start_again(
    "etcd e1 and e2",
    "minwon cluster start etcd:e1; minwon cluster start etcd:e2",
    what_ko="etcd e1과 e2",
    then="they rejoin the existing etcd cluster",
    then_ko="기존 etcd 클러스터에 다시 합류한다",
)

# Gray failures (issue 11) stay paused 12 s: long past what any timeout tuned to react
# in ~1 s needs, and short enough for the scenario suite's budget.
STAYS_PAUSED = keep_paused(12)


def _hung_standby(pause: Step) -> tuple[Step, ...]:
    """Returns the steps of a synchronous standby that hangs in the way `pause` makes it."""
    return (
        HEALTHY_CLUSTER,
        STEADY_LOAD,
        pause,
        ISSUANCE_RESUMES,
        PAUSED_SHOWN_UNHEALTHY,
        ACKED_ON_A_RUNNING_STANDBY,
        STAYS_PAUSED,
        RESUME_PAUSED,
        CLUSTER_HEALTHY,
        LOAD_STOPPED,
        NOTHING_LOST_OR_DOUBLED,
    )


# A hung postmaster is fenced by its guard within ~4 s and failed over like F2a; keep it
# paused well past that. A hung node loses its 20 s leader lease like a dead host: keep it
# paused past the failover, as F2b keeps its host down.
HUNG_FENCED_PAUSE = keep_paused(15)
HUNG_NODE_PAUSE = keep_paused(30)


def _hung_primary(fault: str, pause: Step, stays: Step, title: str, title_ko: str) -> Runbook:
    """Returns the runbook of a primary that hangs in the way `pause` makes it hang."""
    return Runbook(
        fault,
        title,
        "a hung primary costs no more than a dead host: a standby takes over, the woken "
        "old primary acknowledges nothing and rejoins; nothing lost, none twice",
        (
            HEALTHY_CLUSTER,
            STEADY_LOAD,
            pause,
            ISSUANCE_RESUMES,
            STANDBY_PROMOTED,
            stays,
            RESUME_PAUSED,
            OLD_PRIMARY_ACKNOWLEDGES_NOTHING,
            OLD_PRIMARY_REJOINS,
            CLUSTER_HEALTHY,
            LOAD_STOPPED,
            NOTHING_LOST_OR_DOUBLED,
        ),
        title_ko=title_ko,
        must_hold_ko="멈춘 주 서버는 죽은 호스트보다 비싸지 않다: 대기 서버가 넘겨받고, 깨어난 "
        "옛 주 서버는 아무것도 승인하지 않고 복제 서버로 돌아오며, 없어지거나 두 번 발급되는 "
        "것이 없다",
    )


_RUNBOOKS = (
    *BAD_RELEASES,
    Runbook(
        "F2a",
        "kill -9 of the primary's postmaster",
        "issuance resumes within seconds; no acknowledged issuance lost; none twice",
        (
            HEALTHY_CLUSTER,
            STEADY_LOAD,
            KILL_PRIMARY_POSTMASTER,
            ISSUANCE_RESUMES,
            STANDBY_PROMOTED,
            OLD_PRIMARY_REJOINS,
            CLUSTER_HEALTHY,
            LOAD_STOPPED,
            NOTHING_LOST_OR_DOUBLED,
        ),
        title_ko="주 서버 postmaster의 kill -9",
        must_hold_ko="몇 초 안에 발급이 다시 되고, 승인된 발급은 하나도 없어지지 않으며, "
        "두 번 발급되지 않는다",
    ),
    Runbook(
        "F2b",
        "kill -9 of the primary's Patroni and PostgreSQL (dead host)",
        "issuance resumes within the leader lease; no acknowledged issuance lost; none twice",
        (
            HEALTHY_CLUSTER,
            STEADY_LOAD,
            KILL_PRIMARY_HOST,
            ISSUANCE_RESUMES,
            STANDBY_PROMOTED,
            HOST_STAYS_DOWN,
            START_OLD_PRIMARY,
            OLD_PRIMARY_REJOINS,
            CLUSTER_HEALTHY,
            LOAD_STOPPED,
            NOTHING_LOST_OR_DOUBLED,
        ),
        title_ko="주 서버 Patroni와 PostgreSQL의 kill -9 (호스트 죽음)",
        must_hold_ko="리더 임대 시간 안에 발급이 다시 되고, 승인된 발급은 없어지지 않으며, "
        "두 번 발급되지 않는다",
    ),
    Runbook(
        "F3",
        "one HAProxy killed",
        "traffic continues over the other path; the supervisor starts the dead one again",
        (
            HEALTHY_CLUSTER,
            STEADY_LOAD,
            KILL_HAPROXY_PATH,
            ISSUANCE_RESUMES,
            HAPROXY_RESTARTED,
            CLUSTER_HEALTHY,
            LOAD_STOPPED,
            NOTHING_LOST_OR_DOUBLED,
        ),
        title_ko="HAProxy 하나가 죽음",
        must_hold_ko="다른 경로로 요청이 계속 흐르고, 감독자가 죽은 경로를 다시 띄운다",
    ),
    LARGE_PACKETS,
    Runbook(
        "F6",
        "one app instance killed mid-load",
        "retries succeed on the other instance; nothing issued twice; the supervisor starts "
        "the dead one again",
        (
            HEALTHY_CLUSTER,
            STEADY_LOAD,
            KILL_APP_INSTANCE,
            ISSUANCE_RESUMES,
            APP_RESTARTED,
            CLUSTER_HEALTHY,
            LOAD_STOPPED,
            NOTHING_LOST_OR_DOUBLED,
        ),
        title_ko="부하 중에 앱 인스턴스 하나가 죽음",
        must_hold_ko="재시도가 다른 인스턴스에서 성공하고, 두 번 발급되는 것이 없으며, 감독자가 "
        "죽은 인스턴스를 다시 띄운다",
    ),
    Runbook(
        "F7",
        "two of three etcd members killed",
        "the primary keeps serving (Patroni failsafe), never split-brain",
        (
            HEALTHY_CLUSTER,
            STEADY_LOAD,
            KILL_ETCD_MAJORITY,
            ISSUANCE_RESUMES,
            ETCD_STAYS_DOWN,
            PRIMARY_KEPT_ITS_ROLE,
            START_ETCD_MEMBERS,
            ETCD_QUORUM_BACK,
            CLUSTER_HEALTHY,
            LOAD_STOPPED,
            NOTHING_LOST_OR_DOUBLED,
        ),
        title_ko="etcd 세 대 중 두 대가 죽음",
        must_hold_ko="주 서버가 계속 서비스하고 (Patroni failsafe), 주 서버가 둘이 되는 일은 없다",
    ),
    Runbook(
        "G1",
        "the synchronous standby's walreceiver hangs (SIGSTOP)",
        "a hung standby costs no more than a dead one: issuance goes on within ~1 s; "
        "status reports it; nothing lost, none twice",
        _hung_standby(PAUSE_SYNC_WALRECEIVER),
        title_ko="동기 대기 서버의 walreceiver가 멈춤 (SIGSTOP)",
        must_hold_ko="멈춘 대기 서버는 죽은 대기 서버보다 비싸지 않다: 1초 안팎에 발급이 계속되고, "
        "status가 이를 보고하며, 없어지거나 두 번 발급되는 것이 없다",
    ),
    Runbook(
        "G2",
        "the synchronous standby's whole PostgreSQL hangs (SIGSTOP)",
        "issuance goes on within ~1 s; status reports it; nothing lost, none twice",
        _hung_standby(PAUSE_SYNC_POSTGRES),
        title_ko="동기 대기 서버의 PostgreSQL 전체가 멈춤 (SIGSTOP)",
        must_hold_ko="1초 안팎에 발급이 계속되고, status가 이를 보고하며, 없어지거나 두 번 "
        "발급되는 것이 없다",
    ),
    Runbook(
        "SW",
        "a planned switchover under load",
        "a planned change costs less than a crash: issuance waits only for Patroni's "
        "demote (~2 s; the goal is 1 s); nothing lost, none twice",
        (
            HEALTHY_CLUSTER,
            STEADY_LOAD,
            PLANNED_SWITCHOVER,
            ISSUANCE_RESUMES,
            STANDBY_PROMOTED,
            OLD_PRIMARY_REJOINS,
            CLUSTER_HEALTHY,
            LOAD_STOPPED,
            NOTHING_LOST_OR_DOUBLED,
        ),
        title_ko="부하 중의 계획된 전환 (switchover)",
        must_hold_ko="계획된 전환은 장애보다 싸다: 발급은 Patroni의 강등 동안만 멈춘다 (약 2초, "
        "목표는 1초); 없어지거나 두 번 발급되는 것이 없다",
    ),
    PARTITION,
    _hung_primary(
        "H1",
        PAUSE_PRIMARY_POSTMASTER,
        HUNG_FENCED_PAUSE,
        "the primary's postmaster hangs (SIGSTOP): no new connection is accepted",
        "주 서버의 postmaster가 멈춤 (SIGSTOP): 새 연결을 받지 못함",
    ),
    _hung_primary(
        "H2",
        PAUSE_PRIMARY_POSTGRES,
        HUNG_FENCED_PAUSE,
        "the primary's postmaster and backends hang (SIGSTOP)",
        "주 서버의 postmaster와 백엔드가 모두 멈춤 (SIGSTOP)",
    ),
    _hung_primary(
        "H3",
        PAUSE_PRIMARY_NODE,
        HUNG_NODE_PAUSE,
        "the primary's whole node hangs (SIGSTOP of Patroni, its guard and PostgreSQL)",
        "주 서버 노드 전체가 멈춤 (Patroni, guard, PostgreSQL의 SIGSTOP)",
    ),
)

RUNBOOKS: dict[str, Runbook] = {runbook.fault: runbook for runbook in _RUNBOOKS}


def find_runbook(fault: str) -> Runbook | None:
    """Returns the runbook of `fault` (case does not matter), or None if there is none."""
    wanted = fault.strip().casefold()
    return next((r for r in _RUNBOOKS if r.fault.casefold() == wanted), None)
