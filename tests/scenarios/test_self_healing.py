"""The local cluster heals itself: a killed part is started again by the supervisor.

Given a running local cluster (etcd ×3, Patroni ×3, HAProxy ×2, app ×2, supervisor),
when one part of each kind is killed with SIGKILL, then the cluster is healthy again
without any test code starting anything, and the supervisor counts the restart; a part
stopped on purpose stays stopped until started; the supervisor itself is restarted by
nobody and ``status`` says so. On the scenarios' shared cluster (conftest.py); every
wait is bounded.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pytest

from minwon.operations.clock import wait_until
from minwon.operations.cluster.faults import ProcessKind, ProcessRef, app, etcd, haproxy, patroni
from minwon.operations.cluster.local import LocalCluster

pytestmark = pytest.mark.cluster

DEMO_RESIDENTS = 50
HEAL_TIMEOUT = 90.0  # generous: two cores shared with other clusters


def restarts(cluster: LocalCluster, ref: ProcessRef) -> int:
    supervisor = cluster.status().supervisor
    assert supervisor is not None
    return supervisor.restarted(str(ref))


def replica(cluster: LocalCluster) -> ProcessRef:
    return patroni(next(m for m in cluster.members() if m != cluster.leader()))


def leader(cluster: LocalCluster) -> ProcessRef:
    return patroni(cluster.leader())


def _why_restarted(cluster: LocalCluster, member: str) -> str:
    """Returns what the member's guard and Patroni logged last: who restarted it."""
    logs = cluster.root / "logs"
    lines = []
    for name in (f"guard-{member}.log", f"patroni-{member}.log"):
        path = logs / name
        text = path.read_text(errors="replace").splitlines() if path.exists() else []
        lines += [f"--- {name}", *text[-25:]]
    return "\n".join(lines)


KILLED: list[tuple[str, Callable[[LocalCluster], ProcessRef]]] = [
    ("etcd member", lambda _: etcd("e2")),
    ("replica's Patroni", replica),
    ("leader's Patroni", leader),
    ("HAProxy path", lambda _: haproxy("2")),
    ("app instance", lambda _: app("2")),
    ("leader's guard", lambda c: ProcessRef(ProcessKind.GUARD, c.leader())),
]


@pytest.mark.parametrize(("what", "pick"), KILLED, ids=[k for k, _ in KILLED])
def test_a_killed_part_is_started_again_by_the_supervisor_and_the_cluster_heals(
    cluster: LocalCluster, what: str, pick: Callable[[LocalCluster], ProcessRef]
) -> None:
    cluster.wait_healthy(HEAL_TIMEOUT)
    ref = pick(cluster)
    leader_before = cluster.leader()
    postmaster_before = cluster.postmaster_pid(ref.name) if ref.kind == "patroni" else None
    count, pid = restarts(cluster, ref), cluster.pids()[str(ref)]

    began = time.monotonic()
    cluster.kill(ref)  # SIGKILL; nothing in this test starts anything
    # A replica whose Patroni died still streams and is still listed until its member
    # key expires, so "healthy" alone does not show the restart: wait for the count too.
    assert wait_until(lambda: restarts(cluster, ref) > count, timeout=HEAL_TIMEOUT)
    status = cluster.wait_healthy(HEAL_TIMEOUT)
    healed = time.monotonic() - began

    assert restarts(cluster, ref) == count + 1
    assert cluster.pids()[str(ref)] != pid
    if postmaster_before is not None:
        # Patroni came back to its running PostgreSQL: no restart, no failover.
        after = cluster.postmaster_pid(ref.name)
        assert after == postmaster_before, _why_restarted(cluster, ref.name)
        assert status.leader == leader_before
    print(f"\nself-healing: {what} {ref} healthy again {healed:.2f} s after SIGKILL")


def test_a_part_stopped_on_purpose_stays_stopped_until_it_is_started(
    cluster: LocalCluster,
) -> None:
    cluster.wait_healthy(HEAL_TIMEOUT)
    ref = app("1")
    count = restarts(cluster, ref)
    assert cluster.stop(ref)
    time.sleep(4)  # the app's restart delay is 1 s, a round 0.5 s
    status = cluster.status()
    assert str(ref) not in cluster.pids()
    assert [a.ready for a in status.apps if a.name == "1"] == [False]
    assert status.supervisor is not None and status.supervisor.held == (str(ref),)
    assert status.supervisor.restarted(str(ref)) == count
    cluster.start(ref)
    assert cluster.wait_healthy(HEAL_TIMEOUT).supervisor.held == ()  # type: ignore[union-attr]


def test_nobody_restarts_the_supervisor_and_status_reports_it_missing(
    cluster: LocalCluster,
) -> None:
    cluster.wait_healthy(HEAL_TIMEOUT)
    assert cluster.stop_supervisor(signal.SIGKILL)
    time.sleep(2)
    status = cluster.status()
    assert status.supervisor is not None and not status.supervisor.running
    assert "supervisor is not running: nothing restarts a part that dies" in status.problems
    assert "supervisor" not in cluster.pids()

    cluster.kill(haproxy("1"))  # without a supervisor it stays down
    time.sleep(3)
    assert "haproxy:1" not in cluster.pids()

    cluster.start_supervisor()  # a person starts it again; it heals what it finds dead
    cluster.wait_healthy(HEAL_TIMEOUT)
    assert "haproxy:1" in cluster.pids()
