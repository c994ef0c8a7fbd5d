"""A release the way it runs on real hosts (``minwon release run --fleet fleet.json``),
rehearsed on the local cluster.

Each app instance plays a host: its builds lie under its own ``releases/`` folder and it
runs whatever its ``current`` link points at, as the plan's systemd unit does. The
release reaches every "host" through a shell and runs there exactly what it runs over
SSH, over a real OpenSSH server on loopback (its host key pinned, a key login):
``minwon release host install`` (the build as a tar stream on standard input),
``... switch``, ``... current``, and HAProxy's runtime API through ``socat`` on the
balancer's host. What cannot run here is systemd itself (this machine's PID 1 is not
systemd): the service commands are the local launcher's ``minwon cluster stop|start|
running app:N``, which hold an instance down and restart it as systemd does.

Given the cluster's instances running from their ``current`` links, when a good build
is released, then it is installed beside the old one on every host and promoted, and
an instance killed afterwards comes back as that build; when a broken build is released,
then the probe catches it and every ``current`` link points at the good build again.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from minwon.adapters.database import make_engine
from minwon.adapters.release_store import ReleaseStore
from minwon.operations.cluster.faults import ProcessKind, ProcessRef
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.cluster.plan import release_fleet
from minwon.operations.cluster.releasing import RUNNING_SOURCE
from minwon.operations.cluster.workspace import PROBE_SECRET_FILE
from minwon.operations.release import builds, drills, host_side
from minwon.operations.release.canary import Outcome, Timing
from minwon.operations.release.fleet_plan import FleetPlan, ServiceCommands, Transport
from minwon.operations.release.host_fleet import HostFleet, shell_for
from minwon.operations.release.releaser import HostReleaser
from minwon.operations.release.schema import BuildSchemaGate
from support.release_builds import next_version
from support.ssh_server import ssh_server

pytestmark = pytest.mark.cluster

# No live traffic here: the probe decides (``--allow-quiet``), after a short window.
TIMING = Timing(allow_quiet=True, window_min=1.0, window_max=2.0)


def _fleet(cluster: LocalCluster, hosts: Path, transport: Transport) -> FleetPlan:
    python = cluster.programs()[0]
    launcher = (python, "-m", "minwon.cli.cluster")  # ``minwon cluster``, lighter
    root = str(cluster.root)

    def service(name: str) -> ServiceCommands:
        ref = str(ProcessRef(ProcessKind.APP, name))
        return ServiceCommands(
            start=(*launcher, "start", ref, "--root", root),
            stop=(*launcher, "stop", ref, "--root", root),
            active=(*launcher, "running", ref, "--root", root),
            log=("tail", "-n", "40", str(cluster.launched_log(ProcessRef(ProcessKind.APP, name)))),
        )

    planned = release_fleet(cluster.spec)  # what the plan for real hosts would say...
    return replace(  # ...with this machine's paths and launcher in place of systemd's
        planned,
        apps=tuple(
            replace(
                app,
                host_command=(python, "-m", "minwon.cli.release_host"),
                releases=str(hosts / f"host{app.name}" / "releases"),
                current=str(hosts / f"host{app.name}" / "current"),
                service=service(app.name),
            )
            for app in planned.apps
        ),
        transport=transport,
    )


@pytest.fixture(scope="module")
def hosts(cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every instance installed as on a host (the first build by hand, as INSTALL.txt
    says) and restarted from its ``current`` link; put back as it was afterwards."""
    place = tmp_path_factory.mktemp("hosts")
    before = {app.name: cluster.app_build(app.name) for app in cluster.spec.apps}
    for app in cluster.spec.apps:
        first = builds.prepare(RUNNING_SOURCE, place / f"host{app.name}" / "releases")
        link = place / f"host{app.name}" / "current"
        host_side.switch(first.id, link.parent / "releases", link)
        _restart_as(cluster, app.name, first.id, str(link / "venv" / "bin" / "python"))
    yield place
    for app in cluster.spec.apps:
        old = before[app.name] or {"id": "", "python": cluster.programs()[0]}
        _restart_as(cluster, app.name, old["id"], old["python"])


def _restart_as(cluster: LocalCluster, name: str, build_id: str, python: str) -> None:
    ref = ProcessRef(ProcessKind.APP, name)
    cluster.stop(ref, timeout=15)
    cluster.assign_build(name, build_id, python)
    cluster.start(ref)
    cluster.wait_healthy(60)


@pytest.fixture(scope="module")
def releaser(cluster: LocalCluster, hosts: Path) -> Iterator[HostReleaser]:
    with ssh_server(hosts / "sshd") as (ssh, port):
        transport = Transport(kind="ssh", user=ssh.user, port=port, options=ssh.options)
        plan = FleetPlan.from_json(_fleet(cluster, hosts, transport).to_json())  # fleet.json
        yield _releaser(cluster, hosts, plan)


def _releaser(cluster: LocalCluster, hosts: Path, plan: FleetPlan) -> HostReleaser:
    secret = cluster.root / PROBE_SECRET_FILE
    return HostReleaser(
        HostFleet(plan, shell_for(plan.transport)),
        database_url=cluster.database_url(),
        probe_password=lambda: secret.read_text(encoding="utf-8").strip(),
        schema=BuildSchemaGate(cluster.app_environment()),
        work_dir=hosts / "operator",
        who="호스트 배포 시험",
        timing=TIMING,
    )


def _current(hosts: Path) -> dict[str, str]:
    return {
        link.parent.name: host_side.current(link).id for link in sorted(hosts.glob("host*/current"))
    }


def test_a_good_build_is_installed_beside_the_old_one_on_every_host_and_promoted(
    cluster: LocalCluster, hosts: Path, releaser: HostReleaser, tmp_path: Path
) -> None:
    source = next_version(tmp_path / "next", "0.1.2")
    old = _current(hosts)
    build = releaser.prepare(source)  # shipped to every host; nothing switched yet
    assert _current(hosts) == old
    for host in ("host1", "host2"):
        assert (hosts / host / "releases" / build.id / builds.BUILD_FILE).is_file()
    report = releaser.release(build)
    assert report.outcome is Outcome.PROMOTED, report.reason
    assert _current(hosts) == {"host1": build.id, "host2": build.id}
    for step in ("drain", "stop", "start", "probe", "admit"):
        assert any(s.name == step and s.ok for s in report.steps), step
    cluster.kill(ProcessRef(ProcessKind.APP, "2"))  # the service manager restarts it...
    cluster.wait_healthy(60)
    assert releaser.fleet.build_of("2").id == build.id  # ...from `current`: the new build
    assert _argv0(cluster, "2") == str(hosts / "host2" / "current" / "venv" / "bin" / "python")


def _argv0(cluster: LocalCluster, name: str) -> str:
    pid = cluster.pids()[str(ProcessRef(ProcessKind.APP, name))]
    return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()


def test_a_broken_build_is_caught_by_the_probe_and_every_current_link_goes_back(
    cluster: LocalCluster, hosts: Path, releaser: HostReleaser
) -> None:
    before = _current(hosts)
    source = drills.make_drill("corrupt-pdf", RUNNING_SOURCE, hosts / "drill")
    build = releaser.prepare(source)
    report = releaser.release(build)
    assert report.outcome is Outcome.ROLLED_BACK, report.reason
    assert report.code == "probe.pdf_corrupt"
    assert report.decision_seconds is not None and report.decision_seconds < 10
    assert _current(hosts) == before
    assert all(releaser.fleet.running(name) for name in ("1", "2"))
    engine = make_engine(cluster.database_url())
    try:
        last = ReleaseStore(engine).history(1)[0]
    finally:
        engine.dispose()
    assert (last["build_id"], last["outcome"], last["who"]) == (
        build.id,
        "rolled_back",
        "호스트 배포 시험",
    )


def test_the_host_commands_refuse_what_they_must_not_do(hosts: Path) -> None:
    """What the deploy account can make `minwon release host` do over SSH, and no more."""
    run = [sys.executable, "-m", "minwon.cli.main", "release", "host"]

    link = hosts / "host1" / "current"
    releases = hosts / "host1" / "releases"
    before = host_side.current(link).id
    for args in (
        ["switch", "../../etc", "--releases", str(releases), "--current", str(link)],
        ["switch", "0.9.9+0000000000", "--releases", str(releases), "--current", str(link)],
    ):
        done = subprocess.run([*run, *args], capture_output=True, text=True, check=False)
        assert done.returncode == 2 and "release.switch_failed" in done.stderr, done
    assert host_side.current(link).id == before
    done = subprocess.run(
        [*run, "current", "--current", str(link)], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout)["id"] == before
