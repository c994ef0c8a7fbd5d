"""A process that hangs (stopped, alive, answering nothing) is an incident from the look
that sees it, not only once something fences it: real processes stopped with SIGSTOP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from minwon.operations.cluster.pause import children, process_state
from minwon.operations.cluster.status import MemberStatus
from minwon.operations.incidents.conditions import RoleTracker, hang_reading
from minwon.operations.incidents.detector import POSTGRES_SETTLE_HOLD
from minwon.operations.incidents.hangs import stopped
from minwon.operations.incidents.model import PLANNED, SYMPTOMS_KO, Cause, symptom
from support.unit_incidents import Run, proc

PARENT = (
    "import subprocess, sys, time;"
    "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']);"
    "c.wait()"
)


def _signal_and_settle(pid: int, sig: int, state: str) -> None:
    os.kill(pid, sig)
    deadline = time.monotonic() + 2
    while (process_state(pid) == "T") != (state == "T") and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.fixture
def tree() -> Iterator[tuple[int, int]]:
    parent = subprocess.Popen([sys.executable, "-c", PARENT])
    deadline = time.monotonic() + 5
    while not children(parent.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    (child,) = children(parent.pid)
    yield parent.pid, child
    for pid in (child, parent.pid):
        os.kill(pid, signal.SIGCONT)
    parent.kill()
    os.kill(child, signal.SIGKILL)
    parent.wait()


def test_a_stopped_process_or_one_below_a_tree_root_is_seen_and_one_resumed_is_not(
    tree: tuple[int, int],
) -> None:
    parent, child = tree
    assert stopped({"patroni:pg1": parent}, {"postgres:pg1": parent}) == {}
    _signal_and_settle(child, signal.SIGSTOP, "T")
    found = stopped({"patroni:pg1": parent}, {"postgres:pg1": parent})
    # Only the tree sees a child's hang (a Patroni is not hung by its PostgreSQL's child).
    assert list(found) == ["postgres:pg1"]
    assert (
        found["postgres:pg1"].startswith(f"pid {child} (") and "time.sleep" in found["postgres:pg1"]
    )
    _signal_and_settle(parent, signal.SIGSTOP, "T")
    found = stopped({"patroni:pg1": parent}, {"postgres:pg1": parent})
    assert found["patroni:pg1"].startswith(f"pid {parent} stopped")
    assert found["postgres:pg1"] == f"pid {parent} (postmaster) and 1 more stopped (state T)"
    for pid in (parent, child):
        _signal_and_settle(pid, signal.SIGCONT, "S")
    assert stopped({"patroni:pg1": parent}, {"postgres:pg1": parent}) == {}
    assert stopped({"gone": 2**22 + 7}, {"gone too": 2**22 + 7}) == {}


def members(*rows: tuple[str, str, str, int]) -> list[MemberStatus]:
    return [MemberStatus(n, r, s, tl, 0, False) for n, r, s, tl in rows]


def test_a_hung_primary_fenced_and_failed_over_is_one_incident_from_the_hang_to_its_rejoin() -> (
    None
):
    run, roles = Run(), RoleTracker(1000)
    led = members(("pg1", "leader", "running", 1), ("pg2", "replica", "streaming", 1))
    run.round(100.0, roles.read(100.0, led), procs=[proc("postgres:pg1", 10)])
    hung = hang_reading(100.5, {"postgres:pg1": "pid 10 (postmaster) stopped (state T)"})
    run.round(100.5, hung, roles.read(100.5, led), procs=[proc("postgres:pg1", 10)])
    # 4 s on, the guard fences it (the process is gone), then pg2 leads.
    fenced = hang_reading(104.5, {})
    gone = [proc("postgres:pg1", 10, False)]
    run.round(104.5, fenced, roles.read(104.5, led[1:]), procs=gone)
    new = members(("pg1", "replica", "stopped", 1), ("pg2", "leader", "running", 2))
    run.round(106.0, hang_reading(106.0, {}), roles.read(106.0, new), procs=gone)
    back = members(("pg1", "replica", "streaming", 2), ("pg2", "leader", "running", 2))
    up = [proc("postgres:pg1", 11)]
    run.round(120.0, hang_reading(120.0, {}), roles.read(120.0, back), procs=up)
    run.round(120.0 + POSTGRES_SETTLE_HOLD, procs=up)
    incident = run.only()
    assert (incident.component, incident.cause) == ("postgres:pg1", Cause.PROCESS_HUNG)
    assert incident.cause_detail == "pid 10 (postmaster) stopped (state T)"
    assert incident.started_at == 100.5  # the hang, not the fence 4 s later
    assert incident.ended_at == 104.5
    assert incident.settled_at == 120.0  # streaming again
    assert {"process.exit", "role.failover"} <= set(incident.also)


def test_a_standby_stopped_again_before_its_last_hang_settled_is_a_new_incident() -> None:
    """G1 then G2 back to back (the CI run where G1's assertion failed and G2 began 5 s
    after G1's resume): the second SIGSTOP is a new fault with its own start, not the
    first hang's recovery going on, though a database member's incident waits
    ``POSTGRES_SETTLE_HOLD`` before it settles."""
    run, roles = Run(), RoleTracker(1000)
    led = members(("pg1", "leader", "running", 1), ("pg2", "sync_standby", "streaming", 1))
    up = [proc("postgres:pg2", 20)]
    run.round(0.0, hang_reading(0.0, {}), roles.read(0.0, led), procs=up)
    first = hang_reading(0.5, {"postgres:pg2": "pid 21 (walreceiver) stopped (state T)"})
    run.round(0.5, first, roles.read(0.5, led), procs=up)
    run.round(12.5, hang_reading(12.5, {}), roles.read(12.5, led), procs=up)
    assert run.only().ended_at == 12.5 and run.only().is_open  # settling
    second = hang_reading(18.0, {"postgres:pg2": "pid 20 (postmaster) stopped (state T)"})
    run.round(18.0, second, roles.read(18.0, led), procs=up)
    run.round(30.0, hang_reading(30.0, {}), roles.read(30.0, led), procs=up)
    run.round(30.0 + POSTGRES_SETTLE_HOLD, procs=up)
    hangs = sorted(run.seen.values(), key=lambda i: i.started_at)
    assert [(i.started_at, i.ended_at) for i in hangs] == [(0.5, 12.5), (18.0, 30.0)]
    assert all(i.cause is Cause.PROCESS_HUNG and not i.is_open for i in hangs)
    assert "walreceiver" in hangs[0].cause_detail and "postmaster" in hangs[1].cause_detail


def test_a_hang_has_its_korean_symptom() -> None:
    assert set(SYMPTOMS_KO) == set(Cause)
    assert symptom("postgres:pg2", Cause.PROCESS_HUNG) == (
        "postgres:pg2 프로세스가 멈춤 (살아 있으나 응답하지 않음)"
    )


def test_a_member_missing_from_patronis_answer_is_not_streaming_until_it_is_back() -> None:
    """A hung node's member key expires: the old primary is absent from ``GET /cluster``
    until it wakes and rejoins; its incident stays open all that time."""
    run, roles = Run(), RoleTracker(1000, ("pg1", "pg2"))
    led = members(("pg1", "leader", "running", 1), ("pg2", "replica", "streaming", 1))
    run.round(100.0, roles.read(100.0, led))
    run.round(
        100.5, hang_reading(100.5, {"postgres:pg1": "pid 10 stopped"}), roles.read(100.5, led)
    )
    new = members(("pg2", "leader", "running", 2))  # pg1's key expired
    run.round(
        125.0, hang_reading(125.0, {"postgres:pg1": "pid 10 stopped"}), roles.read(125.0, new)
    )
    run.round(130.0, hang_reading(130.0, {}), roles.read(130.0, new))  # woken, not back yet
    assert run.only().is_open
    back = members(("pg1", "replica", "streaming", 2), ("pg2", "leader", "running", 2))
    run.round(140.0, hang_reading(140.0, {}), roles.read(140.0, back))
    run.round(140.0 + POSTGRES_SETTLE_HOLD)
    incident = run.only()
    assert (incident.started_at, incident.ended_at, incident.settled_at) == (100.5, 130.0, 140.0)
    # The failover it caused, seen only once done, is noted in it.
    assert incident.also == ("replication.stopped", "role.failover")


def test_a_leader_change_someone_asked_for_is_a_planned_switchover_not_a_failover() -> None:
    """From the look that saw the request (Patroni's member keys show nothing while it
    demotes) until a new leader runs; settled once the old leader streams from it."""
    run, roles = Run(), RoleTracker(1000)
    led = members(("pg1", "leader", "running", 1), ("pg2", "replica", "streaming", 1))
    run.round(100.0, roles.read(100.0, led))
    roles.request(100.2, {"leader": "pg1", "member": "pg2"})
    run.round(100.5, roles.read(100.5, led))  # still shown leading, running
    roles.request(100.7, {"leader": "pg1", "member": "pg2"})
    run.round(101.0, roles.read(101.0, led))
    new = members(("pg1", "replica", "stopped", 1), ("pg2", "leader", "running", 2))
    run.round(102.5, roles.read(102.5, new))
    roles.request(102.7, {"leader": "pg1", "member": "pg2"})  # not yet deleted: done with
    run.round(103.0, roles.read(103.0, new))
    roles.request(103.2, {})
    back = members(("pg1", "replica", "streaming", 2), ("pg2", "leader", "running", 2))
    run.round(104.0, roles.read(104.0, back))
    run.round(104.0 + POSTGRES_SETTLE_HOLD)
    incident = run.only()
    assert (incident.component, incident.cause) == ("postgres:pg1", Cause.ROLE_SWITCHOVER)
    assert incident.cause in PLANNED and incident.cause_detail == "pg1 → pg2, timeline 1 → 2"
    assert (incident.started_at, incident.ended_at, incident.settled_at) == (100.2, 102.5, 104.0)
    assert incident.symptom == "postgres:pg1이(가) 요청대로 주 서버 역할을 넘김 (계획된 전환)"
    # The same loss with no request, or a request to move another leader, is a failover.
    demoting = members(("pg1", "leader", "stopping", 1), ("pg2", "replica", "streaming", 1))
    for request in ({}, {"leader": "pg3", "member": "pg2"}, None):
        run, roles = Run(), RoleTracker(1000)
        run.round(100.0, roles.read(100.0, led))
        roles.request(100.2, request)
        run.round(100.5, roles.read(100.5, demoting))
        run.round(102.5, roles.read(102.5, back))
        assert run.only().cause is Cause.ROLE_FAILOVER and Cause.ROLE_FAILOVER not in PLANNED


def test_an_old_primary_streaming_on_its_old_timeline_has_not_rejoined_yet() -> None:
    run, roles = Run(), RoleTracker(1000)
    led = members(("pg1", "leader", "running", 1), ("pg2", "replica", "streaming", 1))
    run.round(100.0, roles.read(100.0, led), procs=[proc("postgres:pg1", 10)])
    run.round(100.5, roles.read(100.5, led), procs=[proc("postgres:pg1", 10, False)])
    old = members(("pg1", "replica", "streaming", 1), ("pg2", "leader", "running", 2))
    run.round(105.0, roles.read(105.0, old), procs=[proc("postgres:pg1", 11)])
    assert run.only().is_open
    back = members(("pg1", "replica", "streaming", 2), ("pg2", "leader", "running", 2))
    run.round(115.0, roles.read(115.0, back), procs=[proc("postgres:pg1", 11)])
    run.round(118.0, procs=[proc("postgres:pg1", 11)])
    assert run.only().is_open  # not streaming long enough yet to call it rejoined
    run.round(115.0 + POSTGRES_SETTLE_HOLD, procs=[proc("postgres:pg1", 11)])
    assert run.only().settled_at == 115.0


def test_a_member_that_streams_a_moment_then_stops_again_is_still_in_its_incident() -> None:
    """Patroni may start the old primary, let it stream, then stop it to rewind it: the
    incident settles only once it has streamed for a while, at the time it began to."""
    run, roles = Run(), RoleTracker(1000)
    led = members(("pg1", "leader", "running", 1), ("pg2", "replica", "streaming", 1))
    up = [proc("postgres:pg1", 10)]
    run.round(100.0, roles.read(100.0, led), procs=up)
    gone = [proc("postgres:pg1", 10, False)]
    new = members(("pg1", "replica", "stopped", 1), ("pg2", "leader", "running", 2))
    run.round(100.5, roles.read(100.5, new), procs=gone)
    moment = members(("pg1", "replica", "streaming", 2), ("pg2", "leader", "running", 2))
    run.round(106.0, roles.read(106.0, moment), procs=[proc("postgres:pg1", 11)])
    run.round(108.0, roles.read(108.0, new), procs=[proc("postgres:pg1", 11)])  # rewinding
    run.round(115.0, roles.read(115.0, moment), procs=[proc("postgres:pg1", 12)])
    run.round(126.0, roles.read(126.0, moment), procs=[proc("postgres:pg1", 12)])
    incident = run.only()
    assert (incident.started_at, incident.settled_at) == (100.5, 115.0)
