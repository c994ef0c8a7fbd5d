"""The watcher's look at a local cluster, on a cluster state whose processes are plain
``sleep`` programs on this machine (nothing listens on its ports): a process that dies is
a ``process.exit`` at the next look, and probes that get no answer never hold a look up."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from minwon.operations.clock import wait_until
from minwon.operations.cluster.faults import app, haproxy
from minwon.operations.cluster.spec import Credentials
from minwon.operations.cluster.state import ClusterState
from minwon.operations.cluster.supervise import Launched, cmdline
from minwon.operations.incidents.detector import Detector
from minwon.operations.incidents.model import Cause
from minwon.operations.incidents.observe import LocalObserver
from support.cluster_specs import example_local_spec


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sleepers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started = [
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) for _ in range(2)
    ]
    yield started
    for p in started:
        p.kill()
        p.wait()


def test_a_dead_process_is_seen_at_the_next_look_and_looks_stay_quick(
    tmp_path: Path, sleepers: list[subprocess.Popen[bytes]], request: pytest.FixtureRequest
) -> None:
    spec = example_local_spec(first_port=free_port(), run_dir=str(tmp_path / "run"))
    state = ClusterState(
        str(tmp_path), str(tmp_path / "run"), "minwon-db", "haproxy", sys.executable, 0.0, spec
    )
    time.sleep(0.2)  # until exec: the recorded command line is the one /proc shows
    for ref, p in zip([haproxy("1"), app("1")], sleepers, strict=True):
        state.record(ref, Launched(str(ref), p.pid, cmdline(p.pid) or (), "/dev/null"))
    state.save(tmp_path / "state.json")
    (tmp_path / "secrets.json").write_text(json.dumps(Credentials.placeholders().to_dict()))
    observer = LocalObserver(tmp_path)
    request.addfinalizer(observer.close)  # its probers' threads end with the test
    detector = Detector()
    began = time.monotonic()
    readings, _, _ = observer.look(time.time())
    assert time.monotonic() - began < 0.3
    assert detector.round(time.time(), readings) == [] or all(
        i.cause is not Cause.PROCESS_EXIT for i in detector.open_incidents
    )
    sleepers[1].kill()
    sleepers[1].wait()
    killed = time.time()
    began = time.monotonic()
    readings, _, _ = observer.look(time.time())
    assert time.monotonic() - began < 0.3
    detector.round(time.time(), readings)
    (dead,) = [i for i in detector.open_incidents if i.cause is Cause.PROCESS_EXIT]
    assert dead.component == "app:1" and abs(dead.started_at - killed) < 0.3


def test_a_part_stopped_on_purpose_is_no_fault_but_a_dead_host_is(
    tmp_path: Path, sleepers: list[subprocess.Popen[bytes]]
) -> None:
    spec = example_local_spec(first_port=free_port(), run_dir=str(tmp_path / "run"))
    state = ClusterState(
        str(tmp_path), str(tmp_path / "run"), "minwon-db", "haproxy", sys.executable, 0.0, spec
    )
    time.sleep(0.2)
    for ref, p in zip([app("1"), app("2")], sleepers, strict=True):
        state.record(ref, Launched(str(ref), p.pid, cmdline(p.pid) or (), "/dev/null"))
    state.hold(app("1"))  # minwon cluster stop app:1 (a release, say)
    state.hold(app("2"))  # minwon cluster kill app:2 --hold (a dead host)
    state.mark_killed(app("2"))
    for p in sleepers:
        p.kill()
        p.wait()
    state.save(tmp_path / "state.json")
    (tmp_path / "secrets.json").write_text(json.dumps(Credentials.placeholders().to_dict()))
    with LocalObserver(tmp_path) as observer:
        readings, _, _ = observer.look(time.time())
    detector = Detector()
    detector.round(time.time(), readings)
    faults = {i.component for i in detector.open_incidents if i.cause is Cause.PROCESS_EXIT}
    assert faults == {"app:2"}


def test_a_closed_observer_leaves_no_prober_running(tmp_path: Path) -> None:
    spec = example_local_spec(first_port=free_port(), run_dir=str(tmp_path / "run"))
    ClusterState(
        str(tmp_path), str(tmp_path / "run"), "minwon-db", "haproxy", sys.executable, 0.0, spec
    ).save(tmp_path / "state.json")
    (tmp_path / "secrets.json").write_text(json.dumps(Credentials.placeholders().to_dict()))
    before = set(threading.enumerate())

    def ours() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("probe-")} - before

    with LocalObserver(tmp_path):
        assert ours()
    assert wait_until(lambda: not ours(), timeout=5, interval=0.1), ours()
