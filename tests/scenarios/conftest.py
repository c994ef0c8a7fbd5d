"""One real local cluster shared by the scenario modules, a signed-in citizen per module,
and runbook runs.

``cluster`` (etcd ×3, Patroni ×3 with guards, HAProxy ×2, app ×2, supervisor) is one
cluster for the whole run, started on first use, checked before each module gets it and
replaced by a fresh one if a module left it unfit (``support/shared_cluster.py``); it is
stopped by PID at the end of the run even when a test fails. A module may set
``DEMO_RESIDENTS`` (the registry it needs, 300 if unset): a shared cluster with fewer is
replaced. A module that defines its own ``cluster`` fixture (test_partition.py, on
namespaced hosts) runs before the ones that share, so that two clusters never compete
for the machine's two cores. ``scenario("F2a")`` returns that runbook, to be run step by
step by the test body, once the incident of the scenario before it has settled.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from minwon.client.journal import KeyJournal
from minwon.client.retrying import RetryingClient
from minwon.demo import DEMO_PASSWORD
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.scenarios import RUNBOOKS, Scenario, scenario_on
from support.binaries import require_binaries
from support.incidents import settled_first
from support.scenario_records import Begin
from support.shared_cluster import SharedCluster

HERE = Path(__file__).resolve().parent
DEFAULT_RESIDENTS = 300
HANDOVERS = pytest.StashKey[SharedCluster]()


def _brings_its_own_cluster(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    return module is not None and "cluster" in vars(module)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Runs the scenario modules with a cluster of their own before those that share
    one (stable otherwise), so the shared cluster is never up beside another."""
    slots = [i for i, item in enumerate(items) if HERE in Path(item.path).parents]
    ordered = sorted((items[i] for i in slots), key=lambda it: not _brings_its_own_cluster(it))
    for slot, item in zip(slots, ordered, strict=True):
        items[slot] = item


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    shared = terminalreporter.config.stash.get(HANDOVERS, None)
    if shared is not None and shared.handovers:
        terminalreporter.write_sep("-", "shared scenario cluster")
        for line in shared.handovers:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def shared_cluster(request: pytest.FixtureRequest) -> Iterator[SharedCluster]:
    shared = SharedCluster()
    request.config.stash[HANDOVERS] = shared
    try:
        yield shared
    finally:
        shared.close()  # thaws anything still paused first


@pytest.fixture(scope="module")
def cluster(request: pytest.FixtureRequest, shared_cluster: SharedCluster) -> LocalCluster:
    require_binaries("etcd", "haproxy", "patroni", "postgres")
    name = request.module.__name__.rpartition(".")[2]
    residents = getattr(request.module, "DEMO_RESIDENTS", DEFAULT_RESIDENTS)
    return shared_cluster.checkout(name, residents=residents)


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
        settled_first(cluster)
        return scenario_on(cluster, RUNBOOKS[fault], token=token, journal_dir=tmp_path)

    return begin
