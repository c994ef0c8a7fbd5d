"""Pause faults: SIGSTOP and SIGCONT by PID on a process tree shaped like a PostgreSQL
node (a "postmaster" with a walreceiver and a backend, a "Patroni" beside it), and the
fake cluster's model of a hung standby or a hung leader."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from minwon.operations.cluster.errors import ClusterError
from minwon.operations.cluster.fake import FakeCluster
from minwon.operations.cluster.faults import (
    Pause,
    PauseTarget,
    ProcessKind,
    ProcessRef,
    Resume,
    node,
    postmaster_only,
    walreceiver,
    whole_postgres,
)
from minwon.operations.cluster.pause import (
    PAUSED_FILE,
    Pauses,
    children,
    process_state,
    start_time,
)

# A "postmaster" whose children are a walreceiver (by its process title) and a backend.
POSTMASTER = (
    "(exec -a 'postgres: minwon: walreceiver streaming 0/3000060' sleep 300) & "
    "(exec -a 'postgres: minwon: minwon minwon 127.0.0.1(5) idle' sleep 300) & wait"
)


def state(pid: int) -> str | None:
    return process_state(pid)


@dataclass
class Tree:
    patroni: subprocess.Popen[bytes]
    postmaster: subprocess.Popen[bytes]
    pauses: Pauses

    @property
    def walreceiver(self) -> int:
        return children(self.postmaster.pid)[0]

    @property
    def backend(self) -> int:
        return children(self.postmaster.pid)[1]


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Tree]:
    patroni_process = subprocess.Popen(["sleep", "300"])
    postmaster_process = subprocess.Popen(["bash", "-c", POSTMASTER])
    pids = {ProcessKind.PATRONI: patroni_process.pid, ProcessKind.POSTGRES: postmaster_process.pid}

    def find_pid(ref: ProcessRef) -> int | None:
        return pids.get(ref.kind) if ref.name == "pg2" else None

    deadline = time.monotonic() + 5
    while len(children(postmaster_process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    pauses = Pauses(tmp_path, find_pid)
    try:
        yield Tree(patroni_process, postmaster_process, pauses)
    finally:
        pauses.resume_all()
        for pid in children(postmaster_process.pid):
            subprocess.run(["kill", "-9", str(pid)], check=False)
        for process in (patroni_process, postmaster_process):
            process.kill()
            process.wait()


def test_pausing_the_walreceiver_stops_it_alone_and_resuming_continues_it(tree: Tree) -> None:
    receiver = tree.walreceiver
    assert tree.pauses.pause(walreceiver("pg2")) == [receiver]
    assert state(receiver) == "T"
    assert state(tree.backend) != "T" and state(tree.postmaster.pid) != "T"
    # Known by PID and start time: PostgreSQL rewrites a walreceiver's title as it
    # streams, so a title read just before SIGSTOP may differ from the one after.
    assert tree.pauses.paused() == {"walreceiver@pg2": [(receiver, start_time(receiver))]}
    assert tree.pauses.resume(walreceiver("pg2")) == [receiver]
    assert state(receiver) != "T"
    assert not (tree.pauses.file.parent / PAUSED_FILE).exists()


def test_pausing_postgres_stops_the_postmaster_first_then_every_child(tree: Tree) -> None:
    pids = tree.pauses.pause(whole_postgres("pg2"))
    assert pids[0] == tree.postmaster.pid
    assert sorted(pids[1:]) == sorted(children(tree.postmaster.pid))
    assert all(state(pid) == "T" for pid in pids)
    assert state(tree.patroni.pid) != "T"
    assert tree.pauses.resume(whole_postgres("pg2")) == list(reversed(pids))
    assert all(state(pid) != "T" for pid in pids)


def test_pausing_a_node_stops_patroni_before_its_postgres_and_down_thaws_it_all(
    tree: Tree,
) -> None:
    pids = tree.pauses.pause(node("pg2"))
    assert pids[:2] == [tree.patroni.pid, tree.postmaster.pid] and len(pids) == 4
    with pytest.raises(ClusterError, match="already paused"):
        tree.pauses.pause(node("pg2"))
    assert sorted(tree.pauses.resume_all()) == sorted(pids)
    assert all(state(pid) != "T" for pid in pids)
    assert tree.pauses.paused() == {}


def test_pausing_the_postmaster_alone_leaves_its_backends_running(tree: Tree) -> None:
    assert tree.pauses.pause(postmaster_only("pg2")) == [tree.postmaster.pid]
    assert state(tree.backend) != "T" and state(tree.walreceiver) != "T"
    tree.pauses.resume(postmaster_only("pg2"))
    assert state(tree.postmaster.pid) != "T"


def test_pausing_what_does_not_run_stops_nothing(tree: Tree) -> None:
    with pytest.raises(ClusterError, match="not running"):
        tree.pauses.pause(whole_postgres("pg3"))
    assert tree.pauses.paused() == {}
    assert tree.pauses.resume(walreceiver("pg3")) == []


def test_a_pause_target_is_written_scope_at_member() -> None:
    assert PauseTarget.parse("walreceiver@pg2") == walreceiver("pg2")
    assert str(node("pg1")) == "node@pg1"
    with pytest.raises(ClusterError):
        PauseTarget.parse("sleep@pg1")


def test_the_fake_moves_the_sync_role_off_a_hung_standby_and_takes_it_back_on_resume() -> None:
    fake = FakeCluster()
    fake.pause(walreceiver("pg2"))
    assert not fake.writable()
    fake.clock.sleep(fake.timings.hung_standby)
    assert fake.writable() and fake.status().sync_standbys == ["pg3"]
    fake.clock.sleep(3.0)
    assert fake.status().problems == [
        "replica pg2 has not replied to the primary for 4.0 s (a hung walreceiver or "
        "PostgreSQL), though Patroni says streaming"
    ]
    fake.resume(walreceiver("pg2"))
    assert fake.status().healthy
    assert fake.operations == [Pause(walreceiver("pg2")), Resume(walreceiver("pg2"))]


def test_the_fake_fails_over_a_hung_leader_when_its_lease_runs_out() -> None:
    fake = FakeCluster()
    fake.pause(node("pg1"))
    assert not fake.writable()
    fake.clock.sleep(fake.timings.lease)
    assert fake.leader() == "pg2" and fake.writable()
    fake.resume(node("pg1"))
    fake.clock.sleep(fake.timings.rejoin)
    assert fake.status().healthy
