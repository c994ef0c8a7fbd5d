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

import re

import pytest

from minwon.operations.cluster.local import LocalCluster
from minwon.operations.incidents.model import PLANNED, Cause
from minwon.operations.scenarios import Scenario, ScenarioRecord
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
    Step,
)
from support.incidents import recorded_incident
from support.scenario_records import Begin, held

pytestmark = pytest.mark.cluster

GAP_BOUND = 2.0  # seconds; the goal is 1 s
# A switchover waits ~2.1 s for Patroni's graceful demote to release the leader key (see
# switchover.py): 2.0-3.3 s measured, 4.2-4.8 s before issue 11.
SWITCHOVER_BOUND = 4.0


def _hung_standby(s: Scenario, pause: Step) -> None:
    s.given(HEALTHY_CLUSTER)
    s.given(STEADY_LOAD)
    s.when(pause)
    s.then(ISSUANCE_RESUMES)
    s.then(PAUSED_SHOWN_UNHEALTHY)
    s.then(ACKED_ON_A_RUNNING_STANDBY)
    s.when(STAYS_PAUSED)
    s.when(RESUME_PAUSED)
    s.then(CLUSTER_HEALTHY)
    s.when(LOAD_STOPPED)
    s.then(NOTHING_LOST_OR_DOUBLED)


def _hung_standby_incident(cluster: LocalCluster, record: ScenarioRecord) -> None:
    """The paused standby's incident: a stopped process below its postmaster, from the
    pause until it was resumed (its catching up after that settles it, unmeasured by
    the scenario: about a second more seen)."""
    paused = re.search(r"paused \w+@(\w+)", record.steps[2].note)
    assert paused is not None, record.steps[2].note
    recorded_incident(
        cluster,
        record,
        component=f"postgres:{paused.group(1)}",
        causes={Cause.PROCESS_HUNG},
        recovered="resumed_at",
        ends="ended",
    )


def test_g1_a_hung_sync_walreceiver_costs_no_more_than_a_dead_standby(
    scenario: Begin, cluster: LocalCluster
) -> None:
    with scenario("G1") as s:
        _hung_standby(s, PAUSE_SYNC_WALRECEIVER)
    record = held(s.record)
    assert record.gap_seconds <= GAP_BOUND
    _hung_standby_incident(cluster, record)


def test_g2_a_hung_sync_standby_postgres_costs_no_more_than_a_dead_one(
    scenario: Begin, cluster: LocalCluster
) -> None:
    with scenario("G2") as s:
        _hung_standby(s, PAUSE_SYNC_POSTGRES)
    record = held(s.record)
    assert record.gap_seconds <= GAP_BOUND
    _hung_standby_incident(cluster, record)


def test_sw_a_planned_switchover_under_load_costs_less_than_a_crash(
    scenario: Begin, cluster: LocalCluster
) -> None:
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
    # Recorded, as the role change an operator asked for (no fault: PLANNED causes are
    # not counted as outages), from the request until the old primary streams again:
    # when ``minwon cluster switchover`` returned, which waits for that.
    incident = recorded_incident(
        cluster,
        record,
        component=f"postgres:{record.old_primary}",
        causes={Cause.ROLE_SWITCHOVER},
        recovered="switched_at",
    )
    assert incident.cause in PLANNED and f"{record.old_primary} → " in incident.cause_detail
