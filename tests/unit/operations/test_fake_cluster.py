"""The shipped fake cluster behaves like the real one where status and scenarios look.

Simulated time: ``clock.sleep`` moves the model forward at once, so each test is instant
and always the same.
"""

from __future__ import annotations

import pytest

from minwon.operations.cluster.backend import ClusterBackend
from minwon.operations.cluster.errors import ClusterError, UnknownProcessError
from minwon.operations.cluster.fake import FakeCluster
from minwon.operations.cluster.fake_traffic import FakeLedger, FakeLoad
from minwon.operations.cluster.faults import Kill, Start, app, etcd, haproxy, patroni, postmaster


def backend(cluster: ClusterBackend) -> ClusterBackend:
    return cluster  # typed: the fake must satisfy the protocol the launcher satisfies


def test_a_new_fake_cluster_is_healthy_with_pg1_leading_and_pg2_in_sync() -> None:
    cluster = backend(FakeCluster())
    status = cluster.status()
    assert status.healthy, status.problems
    assert status.leader == "pg1" == cluster.leader()
    assert status.sync_standbys == ["pg2"]
    assert cluster.members() == ["pg1", "pg2", "pg3"]


def test_a_killed_primary_postmaster_is_failed_over_to_the_sync_standby_which_rewinds_it() -> None:
    cluster = FakeCluster()
    cluster.kill(postmaster("pg1"))
    assert "leader pg1 is stopped" in cluster.status().problems
    cluster.clock.sleep(cluster.timings.failover)
    status = cluster.status()
    assert status.leader == "pg2"
    assert status.member("pg2").timeline == 2  # type: ignore[union-attr]
    cluster.clock.sleep(cluster.timings.rejoin)
    status = cluster.status()
    assert status.healthy, status.problems
    assert status.member("pg1").state == "streaming"  # type: ignore[union-attr]
    assert cluster.operations == [Kill(postmaster("pg1"))]


def test_a_dead_host_keeps_its_lease_until_the_ttl_and_stays_away_until_started() -> None:
    cluster = FakeCluster()
    cluster.kill(patroni("pg1"), hold=True)  # a dead host: held down
    cluster.kill(postmaster("pg1"), hold=True)
    cluster.clock.sleep(cluster.timings.lease - 1)
    assert not cluster.writable()
    assert cluster.status().leader is None
    cluster.clock.sleep(1)
    assert cluster.status().leader == "pg2" and cluster.writable()
    cluster.clock.sleep(60)
    assert cluster.status().member("pg1") is None
    cluster.start(postmaster("pg1"))  # starting its PostgreSQL means starting its Patroni
    cluster.clock.sleep(cluster.timings.rejoin)
    assert cluster.status().healthy
    assert cluster.operations[-1] == Start(postmaster("pg1"))


def test_etcd_without_quorum_leaves_the_leader_in_place_in_failsafe_mode() -> None:
    cluster = FakeCluster()
    cluster.kill(etcd("e1"))
    assert cluster.quorum
    cluster.kill(etcd("e2"))
    assert not cluster.quorum
    status = cluster.status()
    assert status.leader == "pg1" and cluster.writable()
    assert "etcd has lost quorum (1 of 3 healthy)" in status.problems
    assert all(m.failsafe_active for m in status.members)
    cluster.start(etcd("e1"))
    cluster.start(etcd("e2"))
    cluster.clock.sleep(cluster.timings.failsafe_clear)
    assert cluster.status().healthy


def test_a_primary_cannot_be_replaced_while_etcd_has_no_quorum() -> None:
    cluster = FakeCluster()
    cluster.kill(etcd("e1"), hold=True)
    cluster.kill(etcd("e2"), hold=True)
    cluster.kill(postmaster("pg1"))
    cluster.clock.sleep(30)
    status = cluster.status()
    assert status.leader == "pg1"  # restarted in place: nobody could take the key
    assert status.member("pg1").state == "running"  # type: ignore[union-attr]


def test_one_haproxy_path_or_app_down_still_takes_writes_both_down_do_not() -> None:
    cluster = FakeCluster()
    cluster.kill(haproxy("1"))
    assert cluster.writable()
    assert cluster.status().problems == ["haproxy 1 (port 5000) does not reach the primary"]
    cluster.kill(haproxy("2"))
    assert not cluster.writable()
    cluster.start(haproxy("1"))
    cluster.kill(app("1"))
    cluster.clock.sleep(cluster.timings.restart)
    assert cluster.writable()
    assert cluster.status().problems[-1] == "app 1 (fake://app/1) not ready"


def test_switchover_goes_to_the_sync_standby_only() -> None:
    cluster = FakeCluster()
    with pytest.raises(ClusterError, match="sync standby"):
        cluster.switchover("pg3")
    assert cluster.switchover() == "pg2"
    status = cluster.status()
    assert status.healthy and status.leader == "pg2"


def test_killing_what_is_not_running_or_does_not_exist_is_an_error() -> None:
    cluster = FakeCluster()
    cluster.kill(app("2"))
    with pytest.raises(ClusterError, match="not running"):
        cluster.kill(app("2"))
    with pytest.raises(UnknownProcessError):
        cluster.kill(postmaster("pg9"))


def test_the_fake_load_is_acknowledged_only_while_the_cluster_takes_writes() -> None:
    cluster = FakeCluster()
    load = FakeLoad(cluster, interval=0.1)
    load.start()
    cluster.clock.sleep(1.0)
    before = len(load.result.acks)
    assert before == 10
    cluster.kill(patroni("pg1"), hold=True)
    cluster.clock.sleep(5.0)
    assert len(load.result.acks) == before
    result = load.stop()
    cluster.clock.sleep(cluster.timings.lease)
    assert len(result.acks) == before  # stopped: nothing more
    ledger = FakeLedger(cluster)
    numbers = [a.number for a in result.acks]
    assert ledger.audit(cluster.member_url("pg2"), numbers) == (0, 0)
    cluster.rows.remove(numbers[3])
    cluster.rows.append(numbers[4])
    assert ledger.audit(cluster.member_url("pg2"), numbers) == (1, 1)
    assert ledger.is_primary(cluster.member_url("pg2")) is True
    assert ledger.is_primary(cluster.member_url("pg3")) is False


def test_a_partitioned_leader_demotes_itself_before_its_lease_passes_on_and_rejoins() -> None:
    cluster = FakeCluster()
    cluster.isolate("pg1")
    assert not cluster.writable() and not cluster.commits_on_host("pg1")
    assert cluster.roles() == {"pg1": True, "pg2": False, "pg3": False}  # not yet demoted
    cluster.clock.sleep(cluster.timings.partition_demote)
    assert cluster.roles() == {"pg1": False, "pg2": False, "pg3": False}
    assert cluster.status().leader == "pg1"  # its lease still runs: nobody else may lead
    cluster.clock.sleep(cluster.timings.lease - cluster.timings.partition_demote)
    assert cluster.roles() == {"pg1": False, "pg2": True, "pg3": False}
    assert cluster.writable() and cluster.commits_on_host("pg2")
    assert "etcd e1 unhealthy" in cluster.status().problems  # the others cannot reach it
    cluster.heal("pg1")
    cluster.clock.sleep(cluster.timings.rejoin)
    status = cluster.status()
    assert status.healthy, status.problems
    assert status.member("pg1").state == "streaming"  # type: ignore[union-attr]
