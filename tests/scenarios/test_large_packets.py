"""F4, the 2023 router: one network path drops packets of 1,400 bytes and more.

Runbook, step by step, as ``minwon cluster runbook F4`` prints it: given a healthy
cluster and a kiosk network joined to the data centre by two real paths (network
namespaces and veth pairs made by this module, offloads off), with the kiosks' balancer
checking every app instance over each path with a 4 KB echo, and steady issuance from
the kiosk network; when path a starts dropping large packets (nftables), then a small
health check still passes over it (so a stock check would miss it: the regression stays
visible), the balancer marks path a down, every kiosk goes on issuing over path b within
3 s, nothing is lost or doubled, and path a comes back once repaired. Only addresses
inside the namespaces this module created are used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minwon.cli.main import app as cli
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.incidents.model import Cause
from minwon.operations.network.site import SitePrograms, TwoPathSite
from minwon.operations.scenarios import RUNBOOKS, scenario_on
from minwon.operations.scenarios.network_steps import (
    BROKEN_PATH,
    DROP_LARGE_PACKETS,
    LIFT_LARGE_PACKET_DROP,
    PATH_BACK,
    PATH_MARKED_DOWN,
    PATHS_HEALTHY,
    SMALL_CHECK_MISSES_IT,
    STEADY_LOAD_FROM_KIOSKS,
)
from minwon.operations.scenarios.steps import (
    CLUSTER_HEALTHY,
    HEALTHY_CLUSTER,
    ISSUANCE_RESUMES,
    LOAD_STOPPED,
    NOTHING_LOST_OR_DOUBLED,
)
from support.binaries import require_binaries
from support.incidents import recorded_incident
from support.scenario_records import held

pytestmark = pytest.mark.cluster

DEMO_RESIDENTS = 100
EDGE = "kiosk-net"  # the kiosk network's balancer, as registered with the watcher


@pytest.fixture(scope="module")
def kiosk_network(
    cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwoPathSite]:
    require_binaries("ip", "nft", "ethtool")
    python, haproxy = cluster.programs()
    programs = SitePrograms(
        python=python,
        haproxy=haproxy,
        app_env=cluster.app_environment(over_sockets=True),
        app_dir=cluster.spec.app_data_dir,
    )
    site = TwoPathSite(tmp_path_factory.mktemp("two-paths"), programs)
    site.up()  # stops what it started and deletes its namespaces if it fails
    # The kiosks' balancer is not the cluster's: the operator registers it with the
    # watcher, which from then on records what its checks find.
    root = ["--root", str(cluster.root)]
    register = ["ops", "edge", "add", EDGE, "--admin-socket", site.admin_socket, *root]
    added = CliRunner().invoke(cli, register)
    assert added.exit_code == 0, added.output
    try:
        yield site
    finally:
        removed = CliRunner().invoke(cli, ["ops", "edge", "remove", EDGE, *root])
        site.down()
        assert removed.exit_code == 0, removed.output


def test_f4_a_path_dropping_large_packets_is_marked_down_and_issuance_goes_on_over_the_other(
    cluster: LocalCluster, kiosk_network: TwoPathSite, token: str, tmp_path: Path
) -> None:
    s = scenario_on(
        cluster, RUNBOOKS["F4"], token=token, journal_dir=tmp_path, network=kiosk_network
    )
    with s:
        s.given(HEALTHY_CLUSTER)
        s.given(PATHS_HEALTHY)
        s.given(STEADY_LOAD_FROM_KIOSKS)
        s.when(DROP_LARGE_PACKETS)
        s.then(SMALL_CHECK_MISSES_IT)
        s.then(PATH_MARKED_DOWN)
        s.then(ISSUANCE_RESUMES)
        s.when(LIFT_LARGE_PACKET_DROP)
        s.then(PATH_BACK)
        s.then(CLUSTER_HEALTHY)
        s.when(LOAD_STOPPED)
        s.then(NOTHING_LOST_OR_DOUBLED)
    record = held(s.record)
    details = record.details
    assert kiosk_network.dropped_packets("a") == 0  # lifted: the rules are gone
    # The balancer's 4 KB echo check takes the path out in two failed checks (~2.5 s).
    assert details["path_down_seconds"] < 4.0, details
    # Issuance went on over path b within 3 s (the bound)...
    assert record.gap_seconds < 3.0, record
    # ...and a kiosk caught on path a waited at most its 1 s attempts on the two
    # endpoints that cross it (the balancer before it marks the path down, and the app
    # over path a) before path b answered: ~2.5 s measured; 5 s leaves room for a slow
    # answer on a busy 2-core machine.
    assert details["longest_request_seconds"] < 5.0, details
    # The watcher recorded it from the balancer's own checks: started when the first
    # large echo that failed was sent, over once every server was up again.
    incident = recorded_incident(
        cluster,
        record,
        component=f"edge:{EDGE}",
        causes={Cause.EDGE_SERVERS_DOWN},
        recovered="path_up_at",
        timeout=30.0,
    )
    assert all(f"-{BROKEN_PATH} " in part for part in incident.cause_detail.split(", "))


def test_an_edge_balancer_needs_a_name_an_operator_can_type(cluster: LocalCluster) -> None:
    root = ["--root", str(cluster.root)]
    spaced = ["ops", "edge", "add", "키오스크 망", "--admin-socket", "/x", *root]
    bad = CliRunner().invoke(cli, spaced)
    assert bad.exit_code == 2 and "ops.edge_name" in bad.output
    unknown = CliRunner().invoke(cli, ["ops", "edge", "remove", "nowhere", *root])
    assert unknown.exit_code == 2 and "ops.edge_unknown" in unknown.output
