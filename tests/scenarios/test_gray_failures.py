"""Gray failures (issue 11) as runbooks, under steady issuance load over HTTP.

A part that hangs instead of dying must cost no more than a dead one: given a healthy
3-node cluster under load, when the synchronous standby's walreceiver or its whole
PostgreSQL is frozen with SIGSTOP, then issuance goes on within about a second,
``minwon cluster status`` reports the frozen standby while Patroni still calls it
streaming, and no acknowledged document is lost or issued twice. A planned switchover
loses no more than Patroni's demote takes. Bounds are generous (2 s where the goal is
1 s, the machine is noisy); `make bench-failover` measures the real figures.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from minwon.client.journal import KeyJournal
from minwon.client.retrying import RetryingClient
from minwon.demo import DEMO_PASSWORD
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.scenarios import RUNBOOKS, Scenario, ScenarioRecord, scenario_on
from minwon.operations.scenarios.gray_steps import (
    ACKED_ON_A_RUNNING_STANDBY,
    PAUSE_SYNC_POSTGRES,
    PAUSE_SYNC_WALRECEIVER,
    PAUSED_SHOWN_UNHEALTHY,
    PLANNED_SWITCHOVER,
    RESUME_PAUSED,
)
from minwon.operations.scenarios.runbooks import STAYS_PAUSED
from minwon.operations.scenarios.steps import (
    CLUSTER_HEALTHY,
    HEALTHY_CLUSTER,
    ISSUANCE_RESUMES,
    LOAD_STOPPED,
    NOTHING_LOST_OR_DOUBLED,
    OLD_PRIMARY_REJOINS,
    STANDBY_PROMOTED,
    STEADY_LOAD,
)
from support.binaries import require_binaries

pytestmark = pytest.mark.cluster

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "scenarios"
GAP_BOUND = 2.0  # seconds; the goal is 1 s
# A switchover waits ~2.1 s for Patroni's graceful demote to release the leader key (see
# switchover.py): 2.0-3.3 s measured, 4.2-4.8 s before issue 11.
SWITCHOVER_BOUND = 4.0

Begin = Callable[[str], Scenario]


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    require_binaries("etcd", "haproxy", "patroni", "postgres")
    root = Path(tempfile.mkdtemp(prefix="minwon-gray-", dir="/var/tmp"))
    local = LocalCluster(root, apps=2)
    try:
        local.up(demo_residents=300)
        yield local
    finally:
        local.down()  # thaws anything still paused first
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def token(cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    journal = KeyJournal(tmp_path_factory.mktemp("login") / "journal.sqlite3")
    client = RetryingClient(cluster.app_urls(), journal)
    try:
        return client.login("citizen", "citizen1", DEMO_PASSWORD)
    finally:
        client.close()
        journal.close()


@pytest.fixture
def scenario(cluster: LocalCluster, token: str, tmp_path: Path) -> Begin:
    """Returns ``scenario("G1")``: that runbook, run step by step by the body."""

    def begin(fault: str) -> Scenario:
        return scenario_on(cluster, RUNBOOKS[fault], token=token, journal_dir=tmp_path)

    return begin


def held(record: ScenarioRecord) -> ScenarioRecord:
    """Writes the record, then asserts what every run must show; returns the record."""
    path = record.write(ARTIFACTS)
    print(f"\n{record.fault}: gap {record.gap_seconds} s, {record.acknowledged} acked ({path})")
    for step in record.steps:
        print(f"  {step.number}. [{step.outcome}] {step.seconds:.2f} s {step.name}: {step.note}")
    assert [s for s in record.steps if not s.ok] == [], "a runbook step did not hold"
    assert record.details["acks_after_fault"] > 0, "issuance never resumed"
    assert record.lost == 0, f"acknowledged but missing on the leader: {record}"
    assert record.duplicated == 0, f"issued or charged twice: {record}"
    assert record.failed_requests == 0, record.details["failures"]
    assert record.healed, f"the cluster did not heal: {record}"
    return record


def test_g1_a_hung_sync_walreceiver_costs_no_more_than_a_dead_standby(scenario: Begin) -> None:
    with scenario("G1") as s:
        s.given(HEALTHY_CLUSTER)
        s.given(STEADY_LOAD)
        s.when(PAUSE_SYNC_WALRECEIVER)
        s.then(ISSUANCE_RESUMES)
        s.then(PAUSED_SHOWN_UNHEALTHY)
        s.then(ACKED_ON_A_RUNNING_STANDBY)
        s.when(STAYS_PAUSED)
        s.when(RESUME_PAUSED)
        s.then(CLUSTER_HEALTHY)
        s.when(LOAD_STOPPED)
        s.then(NOTHING_LOST_OR_DOUBLED)
    assert held(s.record).gap_seconds <= GAP_BOUND


def test_g2_a_hung_sync_standby_postgres_costs_no_more_than_a_dead_one(scenario: Begin) -> None:
    with scenario("G2") as s:
        s.given(HEALTHY_CLUSTER)
        s.given(STEADY_LOAD)
        s.when(PAUSE_SYNC_POSTGRES)
        s.then(ISSUANCE_RESUMES)
        s.then(PAUSED_SHOWN_UNHEALTHY)
        s.then(ACKED_ON_A_RUNNING_STANDBY)
        s.when(STAYS_PAUSED)
        s.when(RESUME_PAUSED)
        s.then(CLUSTER_HEALTHY)
        s.when(LOAD_STOPPED)
        s.then(NOTHING_LOST_OR_DOUBLED)
    assert held(s.record).gap_seconds <= GAP_BOUND


def test_sw_a_planned_switchover_under_load_costs_less_than_a_crash(scenario: Begin) -> None:
    with scenario("SW") as s:
        s.given(HEALTHY_CLUSTER)
        s.given(STEADY_LOAD)
        s.when(PLANNED_SWITCHOVER)
        s.then(ISSUANCE_RESUMES)
        s.then(STANDBY_PROMOTED)
        s.then(OLD_PRIMARY_REJOINS)
        s.then(CLUSTER_HEALTHY)
        s.when(LOAD_STOPPED)
        s.then(NOTHING_LOST_OR_DOUBLED)
    record = held(s.record)
    assert record.new_primary != record.old_primary
    assert record.gap_seconds <= SWITCHOVER_BOUND
