"""The fault matrix (DESIGN.md) as runbooks, each under steady issuance load over HTTP.

Given a 3-node Patroni cluster (etcd ×3, HAProxy ×2, app ×2) serving issuance load through
the retrying kiosk client, when a part fails, then issuance resumes, no acknowledged
document is lost, none is issued or charged twice, and the cluster heals. Each scenario
writes its JSON record under test-artifacts/scenarios/. Bounds here are generous on
purpose: the real figures are measured by `make bench-failover`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from minwon.client.journal import KeyJournal
from minwon.client.retrying import RetryingClient
from minwon.demo import DEMO_PASSWORD
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.scenarios import FAULTS, ScenarioRecord, run_scenario
from support.binaries import require_binaries

pytestmark = pytest.mark.cluster

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "scenarios"


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    require_binaries("etcd", "haproxy", "patroni", "postgres")
    root = Path(tempfile.mkdtemp(prefix="minwon-scenarios-", dir="/var/tmp"))
    local = LocalCluster(root, apps=2)
    try:
        local.up(demo_residents=300)
        yield local
    finally:
        local.down()
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


def _run(cluster: LocalCluster, token: str, fault_id: str, tmp_path: Path) -> ScenarioRecord:
    record = run_scenario(cluster, FAULTS[fault_id], token=token, journal_dir=tmp_path)
    record.write(ARTIFACTS)
    print(f"\n{fault_id}: {record}")
    assert record.acknowledged > 0
    assert record.details["acks_after_fault"] > 0, "issuance never resumed"
    assert record.lost == 0, f"acknowledged but missing on the new primary: {record}"
    assert record.duplicated == 0, f"issued or charged twice: {record}"
    assert record.failed_requests == 0, record.details["failures"]
    assert record.healed, f"the cluster did not heal: {record}"
    return record


def test_f3_when_one_haproxy_dies_traffic_continues_over_the_other(
    cluster: LocalCluster, token: str, tmp_path: Path
) -> None:
    record = _run(cluster, token, "F3", tmp_path)
    assert record.gap_seconds < 10


def test_f6_when_an_app_instance_dies_mid_request_retries_succeed_once(
    cluster: LocalCluster, token: str, tmp_path: Path
) -> None:
    record = _run(cluster, token, "F6", tmp_path)
    assert record.gap_seconds < 10


def test_f7_when_etcd_loses_quorum_the_primary_keeps_serving(
    cluster: LocalCluster, token: str, tmp_path: Path
) -> None:
    record = _run(cluster, token, "F7", tmp_path)
    assert record.old_primary == record.new_primary  # failsafe: no demotion, no split brain
    assert record.gap_seconds < 10


def test_f2a_when_the_primary_postmaster_is_killed_a_standby_takes_over(
    cluster: LocalCluster, token: str, tmp_path: Path
) -> None:
    record = _run(cluster, token, "F2a", tmp_path)
    assert record.gap_seconds < 20


def test_f2b_when_the_primary_host_dies_the_sync_standby_takes_over_within_the_lease(
    cluster: LocalCluster, token: str, tmp_path: Path
) -> None:
    record = _run(cluster, token, "F2b", tmp_path)
    assert record.gap_seconds < 45
