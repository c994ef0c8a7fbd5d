"""Cluster status classification on hand-built snapshots: no process, no network."""

from __future__ import annotations

from dataclasses import replace

from minwon.operations.cluster.status import (
    AppStatus,
    ClusterStatus,
    EtcdStatus,
    HAProxyStatus,
    MemberStatus,
    parse_members,
)
from minwon.operations.cluster.tuning import MAX_HEALTHY_LAG_BYTES

LEADER = MemberStatus("pg1", "leader", "running", 3, 0, sync=False)
SYNC = MemberStatus("pg2", "sync_standby", "streaming", 3, 0, sync=True)
ASYNC = MemberStatus("pg3", "replica", "streaming", 3, 128, sync=False)


def healthy(**changes: object) -> ClusterStatus:
    status = ClusterStatus(
        members=(LEADER, SYNC, ASYNC),
        etcd=tuple(EtcdStatus(f"e{i}", f"http://127.0.0.1:{i}", True) for i in (1, 2, 3)),
        haproxy=(HAProxyStatus("1", 5001, True), HAProxyStatus("2", 5002, True)),
        apps=(AppStatus("1", "http://a1", True), AppStatus("2", "http://a2", True)),
        expected_members=3,
    )
    return replace(status, **changes)  # type: ignore[arg-type]


def test_a_cluster_with_one_leader_a_sync_standby_and_every_part_up_is_healthy() -> None:
    status = healthy()
    assert status.healthy and status.problems == []
    assert status.leader == "pg1"
    assert status.sync_standbys == ["pg2"]
    assert status.etcd_quorum


def test_no_leader_is_a_problem_and_leaves_the_leader_unknown() -> None:
    status = healthy(members=(replace(LEADER, role="replica", state="stopped"), SYNC, ASYNC))
    assert status.leader is None
    assert "0 leaders (expected exactly 1)" in status.problems
    assert "replica pg1 is stopped, not streaming" in status.problems


def test_two_leaders_are_a_problem_and_neither_counts_as_the_leader() -> None:
    status = healthy(members=(LEADER, replace(SYNC, role="leader", sync=False), ASYNC))
    assert status.leader is None
    assert "2 leaders (expected exactly 1)" in status.problems


def test_a_crashed_leader_is_reported_by_its_state() -> None:
    status = healthy(members=(replace(LEADER, state="crashed"), SYNC, ASYNC))
    assert status.problems == ["leader pg1 is crashed"]


def test_without_a_sync_standby_writes_would_stop_so_it_is_a_problem() -> None:
    status = healthy(members=(LEADER, replace(SYNC, role="replica", sync=False), ASYNC))
    assert status.problems == ["no synchronous standby"]


def test_a_missing_member_and_a_lagging_replica_are_problems() -> None:
    lagging = replace(ASYNC, lag_bytes=MAX_HEALTHY_LAG_BYTES + 1)
    assert healthy(members=(LEADER, SYNC)).problems == ["2 of 3 members reported"]
    assert healthy(members=(LEADER, SYNC, lagging)).problems == [
        f"replica pg3 lag is {MAX_HEALTHY_LAG_BYTES + 1} bytes"
    ]
    unknown = replace(ASYNC, lag_bytes=None)
    assert healthy(members=(LEADER, SYNC, unknown)).problems == ["replica pg3 lag is None bytes"]


def test_one_etcd_member_down_keeps_quorum_two_down_lose_it() -> None:
    one_down = healthy(etcd=(EtcdStatus("e1", "u", False), *healthy().etcd[1:]))
    assert one_down.etcd_quorum
    assert one_down.problems == ["etcd e1 unhealthy"]
    two_down = healthy(
        etcd=(EtcdStatus("e1", "u", False), EtcdStatus("e2", "u", False), healthy().etcd[2])
    )
    assert not two_down.etcd_quorum
    assert two_down.problems == [
        "etcd has lost quorum (1 of 3 healthy)",
        "etcd e1 unhealthy",
        "etcd e2 unhealthy",
    ]


def test_an_haproxy_path_that_lands_on_a_replica_does_not_reach_the_primary() -> None:
    status = healthy(haproxy=(HAProxyStatus("1", 5001, False), HAProxyStatus("2", 5002, True)))
    assert status.problems == ["haproxy 1 (port 5001) does not reach the primary"]


def test_failsafe_mode_after_an_etcd_outage_is_unhealthy_until_it_clears() -> None:
    status = healthy(members=(replace(LEADER, failsafe_active=True), SYNC, ASYNC))
    assert status.problems == ["pg1 is still in failsafe mode after a DCS outage"]


def test_an_app_that_is_not_ready_is_a_problem() -> None:
    status = healthy(apps=(AppStatus("1", "http://a1", False), AppStatus("2", "http://a2", True)))
    assert status.problems == ["app 1 (http://a1) not ready"]


def test_to_dict_carries_leader_health_and_problems() -> None:
    data = healthy(members=(LEADER, SYNC)).to_dict()
    assert data["leader"] == "pg1"
    assert data["healthy"] is False
    assert data["problems"] == ["2 of 3 members reported"]
    assert data["members"][1]["sync"] is True


def test_patroni_cluster_answer_is_read_into_sorted_members() -> None:
    members = parse_members(
        {
            "members": [
                {"name": "pg3", "role": "replica", "state": "streaming", "timeline": 4, "lag": 0},
                {"name": "pg1", "role": "leader", "state": "running", "timeline": 4},
                {"name": "pg2", "role": "sync_standby", "state": "streaming", "lag": "unknown"},
            ]
        }
    )
    assert [m.name for m in members] == ["pg1", "pg2", "pg3"]
    assert members[0].is_leader and members[0].lag_bytes == 0
    assert members[1].sync and members[1].lag_bytes is None and members[1].timeline is None
    assert members[2].timeline == 4 and not members[2].sync


def test_a_leader_that_answers_no_new_connection_is_unhealthy_though_patroni_says_running() -> None:
    hung = replace(LEADER, accepts_connections=False)
    status = healthy(members=(hung, SYNC, ASYNC))
    assert status.problems == [
        "leader pg1 accepts no new connection (no answer within 1 s), though Patroni says running"
    ]
    assert healthy(members=(replace(LEADER, accepts_connections=True), SYNC, ASYNC)).healthy
