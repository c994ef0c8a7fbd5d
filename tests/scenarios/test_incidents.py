"""Every fault becomes an incident by itself (issue 14): the watcher on a real cluster.

Given the shared cluster, whose ``up`` started the watcher (``watch:incidents``), when an
HAProxy path or an app instance is killed, then an incident is recorded in the cluster's
database with that component and ``process.exit``, starting within 1 s of the kill and
ending within 1 s of the restart the supervisor logged; an operator's note on it keeps
who wrote it and when; and a watcher killed while an incident is open resumes it: one
incident, not two, and none lost.
"""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from minwon.cli.main import app as cli
from minwon.operations.clock import wait_until
from minwon.operations.cluster.control import STATE_FILE
from minwon.operations.cluster.faults import ProcessKind, ProcessRef, app, haproxy
from minwon.operations.cluster.kinds import WATCHER
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.cluster.state import Restarts, StateStore
from minwon.operations.incidents.model import Cause, Incident
from support.incidents import stored_incidents

pytestmark = pytest.mark.cluster
WATCH = ProcessRef(ProcessKind.WATCH, WATCHER)


def incidents(cluster: LocalCluster) -> list[Incident]:
    return stored_incidents(cluster.root, limit=500)


def settled_incident(
    cluster: LocalCluster, component: str, after: float, timeout: float = 30
) -> list[Incident]:
    found: list[Incident] = []

    def settled() -> bool:
        found[:] = [i for i in incidents(cluster) if i.component == component]
        found[:] = [i for i in found if i.started_at > after]
        return bool(found) and all(not i.is_open for i in found)

    assert wait_until(settled, timeout=timeout, interval=0.5), (component, found)
    return found


def restart_record(cluster: LocalCluster, ref: ProcessRef) -> Restarts | None:
    state = StateStore(cluster.root / STATE_FILE).read()
    assert state is not None
    return state.restarts.get(ref)


def restarted_after(cluster: LocalCluster, ref: ProcessRef, moment: float) -> Restarts:
    assert wait_until(
        lambda: (r := restart_record(cluster, ref)) is not None and r.last_at > moment,
        timeout=20,
        interval=0.2,
    ), f"the supervisor did not start {ref} again"
    record = restart_record(cluster, ref)
    assert record is not None
    return record


@pytest.mark.parametrize("ref", [haproxy("2"), app("2")], ids=str)
def test_a_killed_process_is_an_incident_from_its_kill_to_the_supervisors_restart(
    cluster: LocalCluster, ref: ProcessRef
) -> None:
    assert str(WATCH) in cluster.pids(), "up did not start the incident watcher"
    killed_at = time.time()
    cluster.kill(ref)
    restart = restarted_after(cluster, ref, killed_at)
    (incident,) = settled_incident(cluster, str(ref), killed_at - 1)
    print(f"\n{incident.to_dict()}\nsupervisor restart at {restart.last_at}")
    assert incident.cause is Cause.PROCESS_EXIT
    assert abs(incident.started_at - killed_at) <= 1.0
    assert incident.ended_at is not None
    assert abs(incident.ended_at - restart.last_at) <= 1.0
    assert incident.cause_detail == restart.last_exit
    assert cluster.wait_healthy(90).healthy


def test_an_operators_notes_keep_who_wrote_what_and_when(cluster: LocalCluster) -> None:
    found = incidents(cluster)
    if not found:  # run on its own: give it one
        began = time.time()
        cluster.kill(haproxy("2"))
        found = settled_incident(cluster, "haproxy:2", began - 1.0)
    incident = found[0]
    runner = CliRunner()
    before = time.time()
    result = runner.invoke(
        cli,
        [
            "ops",
            "note",
            incident.id[:10],
            "--root-cause",
            "시험: 운영자가 kill -9",
            "--prevention",
            "감독자 재시작으로 충분",
            "--by",
            "홍길동",
            "--root",
            str(cluster.root),
        ],
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(cli, ["ops", "incidents", "--json", "--root", str(cluster.root)])
    assert listed.exit_code == 0, listed.output
    (shown,) = [r for r in json.loads(listed.output) if r["id"] == incident.id]
    notes = {n["kind"]: n for n in shown["notes"]}
    assert notes["root_cause"]["text"] == "시험: 운영자가 kill -9"
    assert notes["prevention"]["author"] == "홍길동"
    assert all(before <= n["at"] <= time.time() for n in shown["notes"])


def test_a_watcher_killed_while_an_incident_is_open_resumes_it_once(
    cluster: LocalCluster,
) -> None:
    ref = app("1")
    killed_at = time.time()
    cluster.kill(ref, hold=True)  # stays down until started: the incident stays open

    def opened() -> bool:
        return any(
            i.component == str(ref) and i.started_at > killed_at - 1 for i in incidents(cluster)
        )

    assert wait_until(opened, timeout=10, interval=0.25), "no incident opened"
    watcher_died = time.time()
    cluster.kill(WATCH)  # the supervisor starts the watcher again after 1 s
    restarted_after(cluster, WATCH, watcher_died)
    time.sleep(2)  # let the new watcher make rounds while the app is still down
    cluster.start(ref)
    started_at = time.time()
    found = settled_incident(cluster, str(ref), killed_at - 1)
    assert len(found) == 1, [i.to_dict() for i in found]
    (incident,) = found
    assert incident.cause is Cause.PROCESS_EXIT and abs(incident.started_at - killed_at) <= 1.0
    assert incident.ended_at is not None and abs(incident.ended_at - started_at) <= 1.5
    assert cluster.wait_healthy(90).healthy
