"""Every fault becomes an incident by itself: sequences of looks at a cluster (pure)."""

from __future__ import annotations

from minwon.operations.cluster.status import MemberStatus
from minwon.operations.incidents.conditions import (
    ProcessSeen,
    RoleTracker,
    app_reading,
    backup_reading,
    etcd_reading,
    path_reading,
)
from minwon.operations.incidents.detector import GAP_WAIT_SECONDS, POSTGRES_SETTLE_HOLD, Detector
from minwon.operations.incidents.model import Cause, Incident
from support.unit_incidents import Run, proc


def test_a_killed_haproxy_is_one_incident_from_its_death_to_the_supervisors_restart() -> None:
    run = Run()
    run.round(100.0, path_reading(100.0, "1", True), procs=[proc("haproxy:1", 10)])
    run.round(100.5, path_reading(100.5, "1", False), procs=[proc("haproxy:1", 10, False)])
    run.round(101.0, path_reading(101.0, "1", False), procs=[proc("haproxy:1", 10, False)])
    restarted = proc("haproxy:1", 11, restarts=1, restarted_at=101.2, last_exit="SIGKILL")
    run.round(101.5, path_reading(101.5, "1", True), procs=[restarted])
    incident = run.only()
    assert (incident.component, incident.cause) == ("haproxy:1", Cause.PROCESS_EXIT)
    assert incident.started_at == 100.5
    # Ended at the supervisor's restart; settled when the path was seen reaching again.
    assert incident.ended_at == 101.2 and incident.settled_at == 101.5
    assert incident.cause_detail == "SIGKILL"
    assert incident.also == ("haproxy.path_down",)
    assert incident.duration == 0.7
    assert "haproxy:1" in incident.symptom


def test_an_app_that_restarts_but_is_not_ready_yet_settles_when_it_answers() -> None:
    run = Run()
    run.round(0.0, app_reading(0.0, "1", True), procs=[proc("app:1", 5)])
    run.round(0.5, app_reading(0.5, "1", False), procs=[proc("app:1", 5, False)])
    back = proc("app:1", 6, restarts=1, restarted_at=1.6, last_exit="SIGKILL")
    run.round(2.0, app_reading(2.0, "1", False), procs=[back])
    assert run.only().ended_at == 1.6 and run.only().is_open
    run.round(2.5, app_reading(2.5, "1", False), procs=[back])
    run.round(3.0, app_reading(3.0, "1", True), procs=[back])
    incident = run.only()
    assert incident.cause is Cause.PROCESS_EXIT and incident.ended_at == 1.6
    assert incident.settled_at == 3.0 and incident.also == ("app.not_ready",)


def test_a_death_and_restart_between_two_looks_is_still_recorded() -> None:
    run = Run()
    run.round(0.0, procs=[proc("haproxy:2", 7)])
    run.round(0.5, procs=[proc("haproxy:2", 8, restarts=1, restarted_at=0.4, last_exit="SIGTERM")])
    incident = run.only()
    assert incident.component == "haproxy:2" and incident.cause is Cause.PROCESS_EXIT
    assert (incident.started_at, incident.ended_at, incident.cause_detail) == (0.0, 0.4, "SIGTERM")


def test_an_old_restart_record_does_not_end_a_new_fault_early() -> None:
    run = Run()
    old = dict(restarts=1, restarted_at=10.0, last_exit="SIGKILL")
    run.round(50.0, procs=[proc("app:2", 9, **old)])
    run.round(50.5, procs=[proc("app:2", 9, False, **old)])
    run.round(51.0, procs=[proc("app:2", 12, **old)])  # started by a person: no record
    incident = run.only()
    assert incident.ended_at == 51.0 and incident.cause_detail == "pid 9 is gone"


def test_a_flapping_path_is_one_incident_per_fall() -> None:
    run = Run()
    states = [True, False, True, False, False, True, False, True]
    for i, ok in enumerate(states):
        run.round(float(i), path_reading(float(i), "1", ok))
    falls = sorted(run.seen.values(), key=lambda i: i.started_at)
    assert [(i.started_at, i.ended_at) for i in falls] == [(1.0, 2.0), (3.0, 5.0), (6.0, 7.0)]
    assert all(i.cause is Cause.HAPROXY_PATH_DOWN for i in falls)


def test_two_faults_at_once_are_two_incidents() -> None:
    run = Run()
    procs = [proc("haproxy:1", 1), proc("app:2", 2)]
    run.round(0.0, procs=procs)
    run.round(0.5, procs=[proc("haproxy:1", 1, False), proc("app:2", 2, False)])
    run.round(1.0, procs=[proc("haproxy:1", 3), proc("app:2", 2, False)])
    run.round(2.0, procs=[proc("haproxy:1", 3), proc("app:2", 4)])
    by = {i.component: i for i in run.seen.values()}
    assert set(by) == {"haproxy:1", "app:2"}
    assert by["haproxy:1"].ended_at == 1.0 and by["app:2"].ended_at == 2.0


def test_a_fault_present_when_the_watcher_starts_opens_at_its_first_look() -> None:
    run = Run()
    run.round(7.0, etcd_reading(7.0, {"e1": False, "e2": False, "e3": True}))
    incident = run.only()
    assert incident.component == "etcd" and incident.cause is Cause.ETCD_QUORUM_LOST
    assert incident.started_at == 7.0 and "1 of 3 healthy" in incident.cause_detail


def test_a_watcher_started_again_continues_the_open_incident_and_closes_it_once() -> None:
    first = Run()
    first.round(0.0, procs=[proc("patroni:pg1", 3)])
    first.round(0.5, procs=[proc("patroni:pg1", 3, False, held=True)])
    left_open = first.detector.open_incidents
    assert len(left_open) == 1
    # The watcher dies; a new one resumes what the store says is open.
    second = Run(Detector())
    second.detector.resume(left_open)
    second.round(30.0, procs=[proc("patroni:pg1", 3, False, held=True)])
    assert second.seen == {}  # still the same incident: nothing new
    back = proc("patroni:pg1", 4, restarts=1, restarted_at=31.2, last_exit="SIGKILL")
    second.round(31.5, procs=[back])
    (closed,) = second.seen.values()
    assert closed.id == left_open[0].id and closed.started_at == 0.5
    assert closed.ended_at == 31.2


def test_a_fault_that_ended_while_no_watcher_ran_closes_at_the_recorded_restart() -> None:
    stale = Incident.open("app:1", Cause.PROCESS_EXIT, "pid 4 is gone", at=10.0)
    detector = Detector()
    detector.resume([stale])
    back = proc("app:1", 5, restarts=2, restarted_at=11.5, last_exit="exit code 1")
    run = Run(detector)
    run.round(60.0, procs=[back])
    closed = run.only()
    assert closed.id == stale.id and closed.ended_at == 11.5
    assert closed.cause_detail == "exit code 1"


def test_a_probe_that_did_not_answer_this_round_is_not_a_recovery() -> None:
    run = Run()
    run.round(0.0, path_reading(0.0, "2", False))
    run.round(1.0, path_reading(1.0, "2", False))
    run.round(1.5)  # no reading from haproxy:2 this round
    assert run.only().ended_at is None and run.only().started_at == 0.0
    run.round(2.0, path_reading(2.0, "2", True))
    assert run.only().ended_at == 2.0


def test_losing_the_leader_is_a_failover_of_that_member_until_a_leader_runs() -> None:
    roles = RoleTracker(max_lag_bytes=1000)
    run = Run()

    def members(*rows: tuple[str, str, str, int]) -> list[MemberStatus]:
        return [MemberStatus(n, r, s, tl, 0, False) for n, r, s, tl in rows]

    run.round(
        0.0,
        roles.read(
            0.0, members(("pg1", "leader", "running", 3), ("pg2", "sync_standby", "streaming", 3))
        ),
    )
    run.round(
        0.5,
        roles.read(
            0.5, members(("pg1", "replica", "stopped", 3), ("pg2", "replica", "streaming", 3))
        ),
    )
    run.round(
        5.0,
        roles.read(5.0, members(("pg1", "replica", "stopped", 3), ("pg2", "leader", "running", 4))),
    )
    incident = run.only()
    assert incident.component == "postgres:pg1" and incident.cause is Cause.ROLE_FAILOVER
    assert incident.ended_at == 5.0 and incident.cause_detail == "pg1 → pg2, timeline 3 → 4"
    assert incident.is_open  # pg1 does not stream yet
    run.round(
        9.0,
        roles.read(
            9.0, members(("pg1", "replica", "streaming", 4), ("pg2", "leader", "running", 4))
        ),
    )
    assert run.only().is_open  # settled only once it stayed streaming a while
    run.round(9.0 + POSTGRES_SETTLE_HOLD)
    assert run.only().settled_at == 9.0
    assert run.only().also == ("replication.stopped",)


def test_a_switchover_seen_only_after_it_happened_is_still_recorded() -> None:
    roles = RoleTracker(max_lag_bytes=1000)
    run = Run()
    m = [MemberStatus("pg1", "leader", "running", 1, 0, False)]
    run.round(0.0, roles.read(0.0, m))
    m2 = [
        MemberStatus("pg1", "replica", "streaming", 2, 0, False),
        MemberStatus("pg2", "leader", "running", 2, 0, False),
    ]
    run.round(0.5, roles.read(0.5, m2))
    assert run.only().cause is Cause.ROLE_FAILOVER and run.only().cause_detail.startswith(
        "pg1 → pg2"
    )


def test_a_failed_backup_is_a_closed_incident() -> None:
    run = Run()
    run.round(3.0, backup_reading(3.0, [(2.5, "exit code 56")]))
    incident = run.only()
    assert incident.cause is Cause.BACKUP_FAILED and incident.settled_at == 2.5


def test_the_gap_is_how_long_issuance_stopped_around_the_fault() -> None:
    run = Run()
    for i in range(10):  # issuing every half second, two apps
        t = i * 0.5
        run.round(t, procs=[proc("app:1", 1)], issued={"1": float(i), "2": float(i)})
    run.round(5.0, procs=[proc("app:1", 1, False)], issued={"2": 9.0})
    run.round(5.5, procs=[proc("app:1", 1, False)], issued={"2": 9.0})
    run.round(6.0, procs=[proc("app:1", 2)], issued={"2": 9.0})
    assert run.only().issuance_gap_seconds is None  # not resumed yet: not final
    run.round(7.0, procs=[proc("app:1", 2)], issued={"1": 1.0, "2": 9.0})  # app 1 from zero
    assert run.only().issuance_gap_seconds == 2.5  # last increase 4.5, next 7.0


def test_without_traffic_the_gap_is_not_measured() -> None:
    run = Run()
    run.round(0.0, procs=[proc("app:1", 1)], issued={"1": 5.0})
    run.round(100.0, procs=[proc("app:1", 1, False)], issued={"1": 5.0})
    run.round(101.0, procs=[proc("app:1", 2)], issued={"1": 5.0})
    run.round(102.0 + GAP_WAIT_SECONDS, procs=[proc("app:1", 2)], issued={"1": 5.0})
    assert run.only().ended_at == 101.0 and run.only().issuance_gap_seconds is None


def test_apps_and_paths_failing_during_a_database_fault_join_its_incident() -> None:
    run = Run()
    procs = [proc("patroni:pg1", 1), proc("postgres:pg1", 2)]
    run.round(0.0, path_reading(0.0, "1", True), app_reading(0.0, "1", True), procs=procs)
    dead = [proc("patroni:pg1", 1), proc("postgres:pg1", 2, False)]
    run.round(0.5, procs=dead)
    run.round(1.0, path_reading(1.0, "1", False), app_reading(1.0, "1", False), procs=dead)
    incident = run.only()
    assert incident.component == "postgres:pg1"
    assert incident.also == ("app.not_ready@app:1", "haproxy.path_down@haproxy:1")
    back = [proc("patroni:pg1", 1), proc("postgres:pg1", 3)]
    run.round(3.0, path_reading(3.0, "1", True), app_reading(3.0, "1", True), procs=back)
    run.round(3.0 + POSTGRES_SETTLE_HOLD, procs=back)
    assert len(run.seen) == 1 and run.only().settled_at == 3.0


def test_an_app_not_ready_with_nothing_below_failing_is_its_own_incident() -> None:
    run = Run()
    run.round(0.0, app_reading(0.0, "2", False))
    assert run.seen == {}  # a symptom: what it follows from may show a round later
    run.round(1.0, app_reading(1.0, "2", False))
    assert run.only().component == "app:2" and run.only().cause is Cause.APP_NOT_READY
    assert run.only().started_at == 0.0


def test_a_symptom_gone_within_its_grace_is_still_recorded() -> None:
    run = Run()
    run.round(0.0, path_reading(0.0, "1", True))
    run.round(0.5, path_reading(0.5, "1", False))
    run.round(1.0, path_reading(1.0, "1", True))
    incident = run.only()
    assert (incident.started_at, incident.ended_at, incident.settled_at) == (0.5, 1.0, 1.0)
    assert incident.cause is Cause.HAPROXY_PATH_DOWN


def test_paths_seen_down_a_round_before_the_silent_host_join_its_incident() -> None:
    """A path's probe may fail before the slower look that tells the host is silent."""
    from minwon.operations.incidents.reach import reach_reading

    run = Run()
    run.round(0.0, path_reading(0.0, "1", True), reach_reading(0.0, {}))
    run.round(0.5, path_reading(0.1, "1", False))
    run.round(1.0, path_reading(0.6, "1", False), reach_reading(0.2, {"pg1": "silent"}))
    incident = run.only()
    assert incident.component == "postgres:pg1" and incident.started_at == 0.2
    assert incident.also == ("haproxy.path_down@haproxy:1",)


def test_an_end_is_when_the_probe_looked_not_when_the_round_read_it() -> None:
    run = Run()
    run.round(10.0, app_reading(9.8, "1", False))
    run.round(10.5, app_reading(10.2, "1", True))
    incident = run.only()
    assert (incident.started_at, incident.ended_at, incident.settled_at) == (9.8, 10.2, 10.2)


def test_a_postmaster_seen_gone_names_the_pid_it_had() -> None:
    run = Run()
    run.round(0.0, procs=[proc("postgres:pg1", 41)])
    run.round(0.5, procs=[ProcessSeen("postgres:pg1", None, False)])
    assert run.only().cause_detail == "pid 41 is gone"


def test_issuance_is_dated_by_when_the_counters_were_read() -> None:
    run = Run()
    for i in range(6):
        run.detector.round(i * 0.5, [], {"1": float(i)}, issuance_at=i * 0.5 - 0.4)
    assert [round(t, 3) for t in run.detector.track._increases] == [0.1, 0.6, 1.1, 1.6, 2.1]


def test_a_watcher_started_during_a_failover_keeps_it_open_until_a_leader_runs() -> None:
    lost = Incident.open("postgres:pg1", Cause.ROLE_FAILOVER, "no leader", at=3.0)
    detector = Detector()
    detector.resume([lost])
    roles = RoleTracker(max_lag_bytes=1000)
    roles.remember("pg1", lost_at=3.0)
    run = Run(detector)
    none = [MemberStatus("pg1", "replica", "stopped", 3, 0, False)]
    run.round(10.0, roles.read(10.0, none))
    assert run.seen == {}
    new = [*none, MemberStatus("pg2", "leader", "running", 4, 0, False)]
    run.round(12.0, roles.read(12.0, new))
    assert run.only().id == lost.id and run.only().ended_at == 12.0


def test_a_rejoining_member_stopped_again_for_its_rewind_is_still_one_incident() -> None:
    """kill -9 of pg1's postmaster; Patroni starts it as a replica, then stops it again to
    rewind it (the postmaster gone a second time while it does not stream yet): one
    incident, ended when the postmaster stayed up, settled once it streamed a while."""
    roles = RoleTracker(max_lag_bytes=1000)
    run = Run()

    def members(state: str, timeline: int) -> list[MemberStatus]:
        return [
            MemberStatus("pg1", "replica", state, timeline, 0, False),
            MemberStatus("pg2", "leader", "running", 4, 0, False),
        ]

    first = proc("postgres:pg1", 100)
    run.round(0.0, roles.read(0.0, members("streaming", 4)), procs=[first])
    run.round(0.5, roles.read(0.5, members("stopped", 3)), procs=[proc("postgres:pg1", 100, False)])
    run.round(3.0, roles.read(3.0, members("streaming", 3)), procs=[proc("postgres:pg1", 101)])
    assert run.only().ended_at == 3.0 and run.only().is_open
    run.round(6.0, roles.read(6.0, members("stopped", 3)), procs=[proc("postgres:pg1", 101, False)])
    assert run.only().ended_at is None  # the same recovery, not over
    run.round(8.0, roles.read(8.0, members("streaming", 4)), procs=[proc("postgres:pg1", 102)])
    run.round(8.0 + POSTGRES_SETTLE_HOLD)
    incident = run.only()
    assert incident.cause is Cause.PROCESS_EXIT and incident.started_at == 0.5
    assert incident.ended_at == 8.0 and incident.settled_at == 8.0


def test_an_haproxy_killed_again_while_its_path_is_down_is_a_new_incident() -> None:
    """Outside a database member, a cause that comes back is a new fault."""
    run = Run()
    run.round(0.0, path_reading(0.0, "1", True), procs=[proc("haproxy:1", 10)])
    run.round(0.5, path_reading(0.5, "1", False), procs=[proc("haproxy:1", 10, False)])
    run.round(1.0, path_reading(1.0, "1", False), procs=[proc("haproxy:1", 11)])
    run.round(1.5, path_reading(1.5, "1", False), procs=[proc("haproxy:1", 11, False)])
    run.round(2.0, path_reading(2.0, "1", True), procs=[proc("haproxy:1", 12)])
    assert len(run.seen) == 2


def test_a_host_cut_off_is_one_incident_with_the_paths_and_the_failover_it_causes() -> None:
    """P1 as the watcher sees it: the primary's host silent, then both paths reach no
    primary, then its lease runs out and another member leads; the network comes back
    and it streams again. One incident on the member, named for its host."""
    from minwon.operations.incidents.reach import reach_reading

    roles = RoleTracker(max_lag_bytes=1000)
    run = Run()

    def members(*rows: tuple[str, str, str, int]) -> list[MemberStatus]:
        return [MemberStatus(n, r, s, tl, 0, False) for n, r, s, tl in rows]

    healthy = members(("pg1", "leader", "running", 3), ("pg2", "sync_standby", "streaming", 3))
    run.round(0.0, roles.read(0.0, healthy), reach_reading(0.0, {}), path_reading(0.0, "1", True))
    silent = {"pg1": "10.232.0.11 answers nothing"}
    run.round(0.7, reach_reading(0.2, silent), path_reading(0.7, "1", True))
    run.round(2.5, roles.read(2.5, healthy), path_reading(0.6, "1", False))
    promoted = members(("pg1", "replica", "running", 3), ("pg2", "leader", "running", 4))
    run.round(21.0, roles.read(21.0, promoted), reach_reading(20.8, silent))
    run.round(30.0, reach_reading(29.9, {}), path_reading(29.9, "1", True))
    back = members(("pg1", "replica", "streaming", 4), ("pg2", "leader", "running", 4))
    run.round(33.0, roles.read(33.0, back), reach_reading(33.0, {}))
    run.round(33.0 + POSTGRES_SETTLE_HOLD, roles.read(43.0, back))
    incident = run.only()
    assert incident.component == "postgres:pg1" and incident.cause is Cause.HOST_UNREACHABLE
    assert incident.started_at == 0.2 and incident.ended_at == 29.9
    assert incident.settled_at == 33.0
    assert {"role.failover", "haproxy.path_down@haproxy:1"} <= set(incident.also)
