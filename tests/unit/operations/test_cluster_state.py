"""The launcher's state file: typed, and still readable in the layout older launchers wrote."""

from __future__ import annotations

import json
from pathlib import Path

from minwon.operations.cluster.faults import ProcessRef, etcd, patroni, postmaster
from minwon.operations.cluster.state import ClusterState, StateStore
from minwon.operations.cluster.supervise import Launched
from support.cluster_specs import example_local_spec


def _state() -> ClusterState:
    spec = example_local_spec(first_port=42000, run_dir="/var/tmp/minwon-cluster-x")
    return ClusterState(
        root="/srv/cluster",
        run_dir="/var/tmp/minwon-cluster-x",
        os_user="minwon-db",
        haproxy_bin="/usr/sbin/haproxy",
        python="/opt/venv/bin/python",
        started_at=1700000000.5,
        spec=spec,
    )


def test_state_survives_a_round_trip_through_its_file(tmp_path: Path) -> None:
    state = _state()
    state.record(etcd("e1"), Launched("etcd:e1", 101, ("/usr/bin/etcd",), "/l/etcd-e1.log"))
    state.record(patroni("pg1"), Launched("patroni:pg1", 102, ("p", "y"), "/l/p.log"))
    state.mark_killed(postmaster("pg1"))
    state.timings = {"etcd": 1.5}
    path = tmp_path / "state.json"
    state.save(path)
    assert ClusterState.load(path) == state
    assert not path.with_suffix(".tmp").exists()


def test_starting_a_process_again_forgets_that_it_was_killed() -> None:
    state = _state()
    state.mark_killed(etcd("e2"))
    state.mark_killed(etcd("e2"))
    assert state.killed == [etcd("e2")]
    state.record(etcd("e2"), Launched("etcd:e2", 7, ("etcd",), "/l"))
    assert state.killed == []


def test_a_state_file_written_by_the_dict_based_launcher_is_read(tmp_path: Path) -> None:
    spec = _state().spec
    legacy = {
        "version": 1,
        "root": "/srv/cluster",
        "run_dir": "/var/tmp/minwon-cluster-x",
        "os_user": "minwon-db",
        "haproxy_bin": "/usr/sbin/haproxy",
        "python": "/opt/venv/bin/python",
        "started_at": 1700000000.5,
        "spec": spec.to_dict(),
        "processes": {
            "app:1": {"name": "app:1", "pid": 4242, "argv": ["python", "-m"], "log": "/l/a"},
        },
        "killed": ["postgres:pg1", "haproxy:2"],
        "timings": {"prepare": 0.2, "apps": 3.1},
    }
    path = tmp_path / "state.json"
    path.write_text(json.dumps(legacy), encoding="utf-8")
    state = ClusterState.load(path)
    assert state is not None
    assert state.spec == spec
    assert state.processes == {
        ProcessRef.parse("app:1"): Launched("app:1", 4242, ("python", "-m"), "/l/a")
    }
    assert state.killed == [postmaster("pg1"), ProcessRef.parse("haproxy:2")]
    assert state.to_dict() == legacy  # and it writes the same layout back


def test_a_missing_or_broken_state_file_means_no_cluster(tmp_path: Path) -> None:
    assert ClusterState.load(tmp_path / "state.json") is None
    (tmp_path / "state.json").write_text("{not json", encoding="utf-8")
    assert ClusterState.load(tmp_path / "state.json") is None
    (tmp_path / "state.json").write_text('{"version": 1}', encoding="utf-8")
    assert ClusterState.load(tmp_path / "state.json") is None


def test_each_change_of_an_instances_build_is_saved_and_read_back(tmp_path: Path) -> None:
    """A release assigns builds again and again (canary, rollback, next release): every
    change must reach the file, or a rollback would restart the broken build."""
    store = StateStore(tmp_path / "state.json")
    _state().save(store.path)
    for build in ("0.1.1+aaa", "0.1.0+old", "0.1.2+bbb"):
        with store.update() as state:
            assert state is not None
            state.app_builds["1"] = {"id": build, "python": f"/releases/{build}/python"}
        saved = store.read()
        assert saved is not None and saved.app_builds["1"]["id"] == build
        assert saved.app_python("1") == f"/releases/{build}/python"
    assert saved.app_python("2") == "/opt/venv/bin/python"  # never assigned: the cluster's
