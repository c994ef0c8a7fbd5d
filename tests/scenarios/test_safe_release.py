"""F1, the 2003 bad releases: a canary that decides by itself, under issuance load.

Each runbook, step by step as ``minwon cluster runbook F1a`` prints it: given a healthy
cluster (apps behind both HAProxy paths' app balancers) and kiosks issuing through
those balancers, when a broken build is released (``minwon release`` with a drill build:
operations/release/drills.py), then the canary catches it (the probe within 10 s of the
canary starting, or the live comparison), every instance runs its old build again,
clients saw no failed issuance, and nothing was lost or doubled. A good build is then
promoted instance by instance under load and survives a crash (the supervisor restarts
that build).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minwon.cli.main import app as cli
from minwon.operations.cluster.faults import ProcessKind, ProcessRef
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.cluster.releasing import ClusterReleaser
from minwon.operations.incidents.model import Cause, Incident
from minwon.operations.load import IssuanceLoad
from minwon.operations.release.canary import Outcome
from minwon.operations.scenarios import RUNBOOKS, ScenarioRecord, scenario_on
from minwon.operations.scenarios.context import Settings
from minwon.operations.scenarios.release_steps import (
    CAUGHT_BY_THE_COMPARISON,
    CAUGHT_BY_THE_PROBE,
    STEADY_LOAD_THROUGH_BALANCERS,
)
from minwon.operations.scenarios.steps import (
    CLUSTER_HEALTHY,
    HEALTHY_CLUSTER,
    LOAD_STOPPED,
    NOTHING_LOST_OR_DOUBLED,
)
from support.release_builds import next_version
from support.scenario_records import held

pytestmark = pytest.mark.cluster

DEMO_RESIDENTS = 100
TOLERANCE = 1.0  # the incident's start and end against what the scenario measured


@pytest.fixture(scope="module")
def releaser(
    cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ClusterReleaser]:
    yield ClusterReleaser(cluster, tmp_path_factory.mktemp("releases"), who="F1 시나리오")


@pytest.mark.parametrize(
    ("fault", "caught"),
    [
        ("F1a", CAUGHT_BY_THE_PROBE),
        ("F1b", CAUGHT_BY_THE_PROBE),
        ("F1c", CAUGHT_BY_THE_PROBE),
        ("F1d", CAUGHT_BY_THE_COMPARISON),
    ],
)
def test_f1_a_broken_release_is_caught_and_rolled_back_while_kiosks_issue(
    cluster: LocalCluster,
    releaser: ClusterReleaser,
    token: str,
    tmp_path: Path,
    fault: str,
    caught: object,
) -> None:
    runbook = RUNBOOKS[fault]
    # Two kiosk workers: load enough to compare on, bounded so that a 2-core machine
    # boots the canary in seconds.
    # A short warm-up and settle: the release itself takes ten seconds or more of load.
    settings = Settings(warmup=2.0, settle=2.0)
    s = scenario_on(
        cluster,
        runbook,
        token=token,
        journal_dir=tmp_path,
        workers=2,
        settings=settings,
        releaser=releaser,
    )
    with s:
        s.given(HEALTHY_CLUSTER)
        s.given(STEADY_LOAD_THROUGH_BALANCERS)
        s.when(runbook.steps[2])  # release the drill build
        s.then(caught)  # type: ignore[arg-type]
        s.then(CLUSTER_HEALTHY)
        s.when(LOAD_STOPPED)
        s.then(NOTHING_LOST_OR_DOUBLED)
    record = held(s.record)  # every step held; no client saw a failed issuance
    assert releaser.last is not None
    assert releaser.last.canary == "1"
    assert not any(step.instance == "2" for step in releaser.last.steps)  # never touched
    assert record.details["decision_seconds"] is not None
    _assert_release_incident(cluster, record)


def _assert_release_incident(cluster: LocalCluster, record: ScenarioRecord) -> None:
    """The releaser recorded the rollback as an incident, in the incidents table that
    ``minwon ops incidents`` lists: on the canary, from the broken build starting (after
    the release began, ``rolled_back_seconds`` before the end) to the rollback done (just
    before the release returned, as the scenario saw it)."""
    began, done = float(record.details["injected_at"]), float(record.details["release_done_at"])
    took = float(record.details["rolled_back_seconds"])
    listed = CliRunner().invoke(
        cli, ["ops", "incidents", "--root", str(cluster.root), "--json", "--limit", "20"]
    )
    assert listed.exit_code == 0, listed.output
    found = [
        Incident.from_dict(r)
        for r in json.loads(listed.stdout)
        if r["cause"] == Cause.RELEASE_ROLLED_BACK and began - TOLERANCE <= r["started_at"] <= done
    ]
    print(f"\nincident of {record.fault}: {[i.to_dict() for i in found]}; {began}-{done}")
    (incident,) = found
    assert incident.component == "app:1" and record.details["decision_seconds"] is not None
    assert incident.ended_at is not None and not incident.is_open
    assert done - TOLERANCE <= incident.ended_at <= done
    assert incident.started_at <= done - took + TOLERANCE


def test_a_good_build_is_promoted_under_load_and_its_instances_restart_as_that_build(
    cluster: LocalCluster, releaser: ClusterReleaser, token: str, tmp_path: Path
) -> None:
    source = next_version(tmp_path / "next", "0.1.1")
    build = releaser.prepare(source)
    load = IssuanceLoad(cluster.balancer_urls(), token, tmp_path / "journals", workers=2)
    load.start()
    try:
        report = releaser.release(build)
    finally:
        result = load.stop()
    assert report.outcome is Outcome.PROMOTED, report.reason
    compare = next(step for step in report.steps if step.name == "compare")
    assert "카나리아 요청" in compare.note  # judged on live traffic, not waved through
    assert releaser.builds() == {"1": build.id, "2": build.id}  # checked against /proc
    assert result.failures == [] and len(result.acks) > 0  # nobody saw the rollout
    cluster.kill(ProcessRef(ProcessKind.APP, "2"))  # the supervisor starts it again...
    cluster.wait_healthy(60)
    assert releaser.builds()["2"] == build.id  # ...as the new build, not the old one
