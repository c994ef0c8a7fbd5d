"""One real local cluster per scenario module, a signed-in citizen, and runbook runs.

Each module gets its own cluster (``cluster``: etcd ×3, Patroni ×3 with guards, HAProxy
×2, app ×2, supervisor), started once and stopped by PID at the end even when a test
fails; a module may set ``DEMO_RESIDENTS`` for a smaller registry. ``scenario("F2a")``
returns that runbook, to be run step by step by the test body.
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
from minwon.operations.scenarios import RUNBOOKS, Scenario, scenario_on
from support.binaries import require_binaries
from support.scenario_records import Begin


@pytest.fixture(scope="module")
def cluster(request: pytest.FixtureRequest) -> Iterator[LocalCluster]:
    require_binaries("etcd", "haproxy", "patroni", "postgres")
    name = request.module.__name__.rpartition(".")[2].removeprefix("test_")
    root = Path(tempfile.mkdtemp(prefix=f"minwon-{name}-", dir="/var/tmp"))
    local = LocalCluster(root, apps=2)
    try:
        local.up(demo_residents=getattr(request.module, "DEMO_RESIDENTS", 300))
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
    """Returns ``scenario("F2a")``: that fault's runbook, run step by step by the body."""

    def begin(fault: str) -> Scenario:
        return scenario_on(cluster, RUNBOOKS[fault], token=token, journal_dir=tmp_path)

    return begin
