"""The fault matrix (DESIGN.md) as runbooks, each under steady issuance load over HTTP.

Each test body is its fault's runbook, step by step, as ``minwon cluster runbook F2a``
prints it: given a 3-node Patroni cluster (etcd ×3, HAProxy ×2, app ×2) serving issuance
load through the retrying kiosk client, when a part fails, then issuance resumes, the
cluster heals, no acknowledged document is lost and none is issued or charged twice.
Each scenario writes its JSON record (with every step) under test-artifacts/scenarios/.
Bounds here are generous on purpose: the real figures are measured by
`make bench-failover`.
"""

from __future__ import annotations

import pytest

from minwon.operations.cluster.local import LocalCluster
from minwon.operations.incidents.model import Cause
from minwon.operations.scenarios.repair_steps import ETCD_QUORUM_BACK
from minwon.operations.scenarios.runbooks import (
    APP_RESTARTED,
    ETCD_STAYS_DOWN,
    HAPROXY_RESTARTED,
    HOST_STAYS_DOWN,
    START_ETCD_MEMBERS,
    START_OLD_PRIMARY,
)
from minwon.operations.scenarios.steps import (
    CLUSTER_HEALTHY,
    HEALTHY_CLUSTER,
    ISSUANCE_RESUMES,
    KILL_APP_INSTANCE,
    KILL_ETCD_MAJORITY,
    KILL_HAPROXY_PATH,
    KILL_PRIMARY_HOST,
    KILL_PRIMARY_POSTMASTER,
    LOAD_STOPPED,
    NOTHING_LOST_OR_DOUBLED,
    OLD_PRIMARY_REJOINS,
    PRIMARY_KEPT_ITS_ROLE,
    STANDBY_PROMOTED,
    STEADY_LOAD,
)
from support.incidents import assert_gap, recorded_incident
from support.scenario_records import Begin, held

pytestmark = pytest.mark.cluster


def test_f3_when_one_haproxy_dies_traffic_continues_and_the_supervisor_restarts_it(
    scenario: Begin, cluster: LocalCluster
) -> None:
    with scenario("F3") as s:
        s.given(HEALTHY_CLUSTER)
        s.given(STEADY_LOAD)
        s.when(KILL_HAPROXY_PATH)
        s.then(ISSUANCE_RESUMES)
        s.then(HAPROXY_RESTARTED)
        s.then(CLUSTER_HEALTHY)
        s.when(LOAD_STOPPED)
        s.then(NOTHING_LOST_OR_DOUBLED)
    record = held(s.record)
    assert record.gap_seconds < 10
    recorded_incident(
        cluster,
        record,
        component="haproxy:1",
        causes={Cause.PROCESS_EXIT},
        recovered="recovered_at",
    )


def test_f6_when_an_app_instance_dies_mid_request_retries_succeed_once_and_it_restarts(
    scenario: Begin, cluster: LocalCluster
) -> None:
    with scenario("F6") as s:
        s.given(HEALTHY_CLUSTER)
        s.given(STEADY_LOAD)
        s.when(KILL_APP_INSTANCE)
        s.then(ISSUANCE_RESUMES)
        s.then(APP_RESTARTED)
        s.then(CLUSTER_HEALTHY)
        s.when(LOAD_STOPPED)
        s.then(NOTHING_LOST_OR_DOUBLED)
    record = held(s.record)
    assert record.gap_seconds < 10
    # A request in flight on the killed instance is taken over once its heartbeat lapses
    # (0.75 s), not after the 10 s idempotency lease (the tester saw 10.35 s and 39 × 409).
    assert record.details["longest_request_seconds"] < 5.0, record.details
    incident = recorded_incident(
        cluster, record, component="app:1", causes={Cause.PROCESS_EXIT}, recovered="recovered_at"
    )
    assert_gap(cluster, incident, record)


def test_f7_when_etcd_loses_quorum_the_primary_keeps_serving(
    scenario: Begin, cluster: LocalCluster
) -> None:
    with scenario("F7") as s:
        s.given(HEALTHY_CLUSTER)
        s.given(STEADY_LOAD)
        s.when(KILL_ETCD_MAJORITY)
        s.then(ISSUANCE_RESUMES)
        s.when(ETCD_STAYS_DOWN)
        s.then(PRIMARY_KEPT_ITS_ROLE)
        s.when(START_ETCD_MEMBERS)
        s.then(ETCD_QUORUM_BACK)
        s.then(CLUSTER_HEALTHY)
        s.when(LOAD_STOPPED)
        s.then(NOTHING_LOST_OR_DOUBLED)
    record = held(s.record)
    assert record.old_primary == record.new_primary  # failsafe: no demotion, no split brain
    assert record.gap_seconds < 10
    # Quorum lost from the kill until the first started member rejoined (``quorum_at``);
    # the primary kept its role, so nothing else is this fault's.
    recorded_incident(
        cluster, record, component="etcd", causes={Cause.ETCD_QUORUM_LOST}, recovered="quorum_at"
    )


def test_f2a_when_the_primary_postmaster_is_killed_a_standby_takes_over(
    scenario: Begin, cluster: LocalCluster
) -> None:
    with scenario("F2a") as s:
        s.given(HEALTHY_CLUSTER)
        s.given(STEADY_LOAD)
        s.when(KILL_PRIMARY_POSTMASTER)
        s.then(ISSUANCE_RESUMES)
        s.then(STANDBY_PROMOTED)
        s.then(OLD_PRIMARY_REJOINS)
        s.then(CLUSTER_HEALTHY)
        s.when(LOAD_STOPPED)
        s.then(NOTHING_LOST_OR_DOUBLED)
    record = held(s.record)
    assert record.gap_seconds < 20
    # The old primary's incident: its postmaster's death (the failover joins it), settled
    # once it streams again as a replica, when the scenario saw it rejoin.
    assert record.old_primary is not None
    incident = recorded_incident(
        cluster,
        record,
        component=f"postgres:{record.old_primary}",
        causes={Cause.PROCESS_EXIT, Cause.ROLE_FAILOVER},
        recovered="rejoined_at",
    )
    assert_gap(cluster, incident, record)


def test_f2b_when_the_primary_host_dies_the_sync_standby_takes_over_within_the_lease(
    scenario: Begin, cluster: LocalCluster
) -> None:
    with scenario("F2b") as s:
        s.given(HEALTHY_CLUSTER)
        s.given(STEADY_LOAD)
        s.when(KILL_PRIMARY_HOST)
        s.then(ISSUANCE_RESUMES)
        s.then(STANDBY_PROMOTED)
        s.when(HOST_STAYS_DOWN)
        s.when(START_OLD_PRIMARY)
        s.then(OLD_PRIMARY_REJOINS)
        s.then(CLUSTER_HEALTHY)
        s.when(LOAD_STOPPED)
        s.then(NOTHING_LOST_OR_DOUBLED)
    record = held(s.record)
    assert record.gap_seconds < 45
    # The old primary's PostgreSQL: down with its host until started again, settled once
    # it streams again, when the scenario saw it rejoin. (Its Patroni's death is an
    # incident of its own, on patroni:<old primary>.)
    assert record.old_primary is not None
    recorded_incident(
        cluster,
        record,
        component=f"postgres:{record.old_primary}",
        causes={Cause.PROCESS_EXIT, Cause.ROLE_FAILOVER},
        recovered="rejoined_at",
    )
