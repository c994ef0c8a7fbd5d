"""A replica Patroni calls "streaming" but the primary no longer hears from is unhealthy:
classification of the primary's walsender view, on hand-built snapshots."""

from __future__ import annotations

from minwon.operations.cluster.probes import WalSender, with_walsenders
from minwon.operations.cluster.status import (
    AppStatus,
    ClusterStatus,
    EtcdStatus,
    HAProxyStatus,
    MemberStatus,
)
from minwon.operations.cluster.tuning import MAX_REPLY_AGE_SECONDS

LEADER = MemberStatus("pg1", "leader", "running", 3, 0, sync=False)
SYNC = MemberStatus("pg2", "sync_standby", "streaming", 3, 0, sync=True)
ASYNC = MemberStatus("pg3", "replica", "streaming", 3, 0, sync=False)


def status(*members: MemberStatus) -> ClusterStatus:
    return ClusterStatus(
        members=members,
        etcd=tuple(EtcdStatus(f"e{i}", f"http://127.0.0.1:{i}", True) for i in (1, 2, 3)),
        haproxy=(HAProxyStatus("1", 5001, True),),
        apps=(AppStatus("1", "http://a1", True),),
        expected_members=len(members),
    )


def seen(*senders: WalSender) -> ClusterStatus:
    return status(*with_walsenders((LEADER, SYNC, ASYNC), list(senders)))


def test_replicas_that_replied_within_the_bound_are_healthy() -> None:
    view = seen(WalSender("pg2", "streaming", 0.4), WalSender("pg3", "streaming", 1.2))
    assert view.healthy, view.problems
    assert view.member("pg2") == MemberStatus(
        "pg2", "sync_standby", "streaming", 3, 0, True, attached=True, reply_age_seconds=0.4
    )


def test_a_streaming_replica_the_primary_has_not_heard_from_is_hung() -> None:
    age = MAX_REPLY_AGE_SECONDS + 2.5
    view = seen(WalSender("pg2", "streaming", age), WalSender("pg3", "streaming", 0.1))
    assert view.problems == [
        f"replica pg2 has not replied to the primary for {age:.1f} s (a hung walreceiver "
        "or PostgreSQL), though Patroni says streaming"
    ]


def test_a_replica_no_walsender_serves_is_not_attached() -> None:
    view = seen(WalSender("pg3", "streaming", 0.1))
    assert view.problems == ["replica pg2 is not attached to the primary (no walsender serves it)"]


def test_a_walsender_still_catching_up_does_not_count_as_serving_the_replica() -> None:
    view = seen(WalSender("pg2", "catchup", 0.1), WalSender("pg3", "streaming", 0.1))
    assert view.member("pg2").attached is False  # type: ignore[union-attr]
    assert not view.healthy


def test_an_unread_walsender_view_adds_no_problem() -> None:
    assert with_walsenders((LEADER, SYNC, ASYNC), None) == (LEADER, SYNC, ASYNC)
    assert status(LEADER, SYNC, ASYNC).healthy


def test_a_replica_patroni_does_not_call_streaming_is_reported_once_by_its_state() -> None:
    starting = MemberStatus("pg3", "replica", "starting", 3, 0, sync=False)
    view = status(*with_walsenders((LEADER, SYNC, starting), [WalSender("pg2", "streaming", 0.2)]))
    assert view.problems == ["replica pg3 is starting, not streaming"]


def test_in_quorum_mode_both_quorum_standbys_count_as_synchronous() -> None:
    quorum = [
        MemberStatus(m.name, "quorum_standby", "streaming", 3, 0, sync=True) for m in (SYNC, ASYNC)
    ]
    view = status(LEADER, *quorum)
    assert view.sync_standbys == ["pg2", "pg3"] and view.healthy
