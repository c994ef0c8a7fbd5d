"""When the supervisor starts a dead part again: delays, backoff, holds (pure rules)."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from minwon.operations.cluster.faults import ProcessKind, app, etcd, patroni, postmaster
from minwon.operations.cluster.restarts import (
    BASE_DELAY,
    MAX_DELAY,
    STABLE_SECONDS,
    Decision,
    Watch,
    decide,
    restart_delay,
)
from minwon.operations.cluster.state import ClusterState, StateStore
from minwon.operations.cluster.supervisor import describe_exit
from support.cluster_specs import example_local_spec


def test_the_delays_are_the_systemd_units_restart_sec() -> None:
    assert BASE_DELAY == {
        ProcessKind.ETCD: 2.0,
        ProcessKind.PATRONI: 5.0,
        ProcessKind.HAPROXY: 0.5,
        ProcessKind.APP: 1.0,
        ProcessKind.GUARD: 1.0,
        ProcessKind.WATCH: 1.0,
    }
    assert ProcessKind.POSTGRES not in BASE_DELAY  # Patroni restarts its postmaster


def test_the_delay_doubles_for_each_start_that_died_young_up_to_a_cap() -> None:
    assert [restart_delay(1.0, n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert restart_delay(5.0, 10) == MAX_DELAY


def test_a_part_that_ran_long_is_restarted_after_the_base_delay() -> None:
    watch = Watch.found(pid=10, now=100.0)  # started by `up`: counts as long started
    assert decide(watch, alive=True, held=False, now=100.0, base=1.0) is Decision.RUNNING
    assert decide(watch, alive=False, held=False, now=101.0, base=1.0) is Decision.WAITING
    assert decide(watch, alive=False, held=False, now=101.9, base=1.0) is Decision.WAITING
    assert decide(watch, alive=False, held=False, now=102.0, base=1.0) is Decision.RESTART
    assert watch.failures == 0


def test_a_part_that_keeps_crashing_is_started_ever_more_slowly_until_it_stays_up() -> None:
    watch = Watch.found(pid=10, now=0.0)
    now, waits = 0.0, []
    for _ in range(4):
        assert decide(watch, alive=False, held=False, now=now, base=1.0) is Decision.WAITING
        due = watch.due_at(1.0)
        assert due is not None
        waits.append(due - now)
        now = due
        assert decide(watch, alive=False, held=False, now=now, base=1.0) is Decision.RESTART
        watch.restarted(pid=11, now=now)
        now += 1.0  # dies a second after each start
    assert waits == [1.0, 2.0, 4.0, 8.0]
    # Up for STABLE_SECONDS: the next death is restarted after the base delay again.
    decide(watch, alive=True, held=False, now=now + STABLE_SECONDS, base=1.0)
    now += STABLE_SECONDS + 1
    decide(watch, alive=False, held=False, now=now, base=1.0)
    assert watch.due_at(1.0) == now + 1.0


def test_a_held_part_is_left_down_and_its_delay_counts_from_the_release() -> None:
    watch = Watch.found(pid=10, now=0.0)
    for now in (1.0, 50.0, 500.0):
        assert decide(watch, alive=False, held=True, now=now, base=2.0) is Decision.HELD
    assert decide(watch, alive=False, held=False, now=600.0, base=2.0) is Decision.WAITING
    assert decide(watch, alive=False, held=False, now=602.0, base=2.0) is Decision.RESTART


def test_an_exit_is_described_by_its_signal_or_code() -> None:
    assert describe_exit(-9) == "SIGKILL"
    assert describe_exit(-15) == "SIGTERM"
    assert describe_exit(1) == "exit code 1"


def _state(root: Path) -> ClusterState:
    spec = example_local_spec(first_port=42000, run_dir="/var/tmp/minwon-cluster-x")
    return ClusterState(
        root=str(root),
        run_dir="/var/tmp/minwon-cluster-x",
        os_user="minwon-db",
        haproxy_bin="/usr/sbin/haproxy",
        python="/opt/venv/bin/python",
        started_at=1700000000.5,
        spec=spec,
    )


def test_holds_and_restart_counts_survive_the_state_file_and_start_clears_a_hold(
    tmp_path: Path,
) -> None:
    state = _state(tmp_path)
    state.hold(patroni("pg1"))
    state.hold(patroni("pg1"))
    state.hold(etcd("e1"))
    state.count_restart(app("1"), at=5.0, exit="SIGKILL")
    state.count_restart(app("1"), at=9.0, exit="exit code 1")
    store = StateStore(tmp_path / "state.json")
    state.save(store.path)
    loaded = store.read()
    assert loaded == state
    assert loaded.held == [patroni("pg1"), etcd("e1")]
    assert loaded.restarts[app("1")].count == 2
    assert loaded.restarts[app("1")].last_exit == "exit code 1"
    loaded.release(patroni("pg1"))
    assert loaded.held == [etcd("e1")]
    assert postmaster("pg1") not in loaded.held
    assert "held" not in json.loads(json.dumps(_state(tmp_path).to_dict()))  # v1 layout kept


def _count_many(path: str, times: int) -> None:
    store = StateStore(Path(path))
    for _ in range(times):
        with store.update() as state:
            assert state is not None
            state.count_restart(app("1"), at=0.0, exit="SIGKILL")


def test_concurrent_writers_lose_no_update_under_the_lock(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    _state(tmp_path).save(store.path)
    workers = [
        multiprocessing.get_context("fork").Process(target=_count_many, args=(str(store.path), 25))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    loaded = store.read()
    assert loaded is not None and loaded.restarts[app("1")].count == 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.lock"]
