"""One real local cluster handed from scenario module to scenario module.

Starting a cluster (etcd ×3, Patroni ×3 with guards, HAProxy ×2, app ×2, supervisor)
costs 22-43 s on two cores, and every scenario ends by waiting until its cluster has
healed, so the modules that use ``tests/scenarios/conftest.py``'s ``cluster`` share one.
Before a module gets it, ``SharedCluster.checkout`` checks it is as a fresh one would be:
nothing held down or paused, every process running, a healthy ``status``, every app
instance up on every balancer path and running the cluster's own code (a release
scenario leaves its build behind: those instances are started again on the cluster's
code first), no issuance or fee written twice, and a registry as large as the module
asks for. If anything is off the cluster is stopped (by PID) and a fresh one started, so
one module's wreck does not become the next module's failure. ``handovers`` lists what
happened at each checkout; the scenarios' conftest prints it at the end of the run.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from minwon.operations.clock import wait_until
from minwon.operations.cluster import balancer
from minwon.operations.cluster.control import is_supervised
from minwon.operations.cluster.faults import ProcessKind, ProcessRef
from minwon.operations.cluster.fleet import ClusterFleet
from minwon.operations.cluster.kinds import KINDS
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.release.builds import running
from minwon.operations.scenarios.ledger import SqlLedger

HEAL_TIMEOUT = 90.0  # as long as a scenario's own "the cluster heals" step may wait
APP_START_TIMEOUT = 60.0


def new_cluster(name: str, residents: int) -> LocalCluster:
    """Starts a cluster in a fresh folder under /var/tmp (the database user reaches it)
    and returns it once healthy; on failure stops what started and removes the folder."""
    root = Path(tempfile.mkdtemp(prefix=f"minwon-{name}-", dir="/var/tmp"))
    cluster = LocalCluster(root, apps=2)
    try:
        cluster.up(demo_residents=residents)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)  # `up` has stopped what it started
        raise
    return cluster


def remove_cluster(cluster: LocalCluster) -> None:
    """Stops every process of `cluster` by PID (thawing paused ones first), then
    removes its folder."""
    try:
        cluster.down()
    finally:
        shutil.rmtree(cluster.root, ignore_errors=True)


def expected_processes(cluster: LocalCluster) -> set[str]:
    """Returns every process the launcher and its supervisor keep running."""
    spec = cluster.spec
    names = {
        str(ProcessRef(kind, name))
        for kind in ProcessKind
        if is_supervised(kind)
        for name in KINDS[kind].names(spec)
    }
    return names | {"supervisor"}


def foreign_builds(cluster: LocalCluster) -> dict[str, str]:
    """Returns the app instances that are not running the cluster's own code, with the
    Python they are assigned and the one their process runs (read from ``/proc``)."""
    own = cluster.programs()[0]
    fleet = ClusterFleet(cluster)
    found = {}
    for name in fleet.instances():
        assigned, process = fleet.build_of(name).python, fleet.process_python(name)
        if assigned != own or process != own:
            found[name] = f"assigned {assigned}, runs {process}"
    return found


def restore_own_builds(cluster: LocalCluster) -> list[str]:
    """Starts again, one at a time and on the cluster's own code, every app instance a
    release left on another build; returns their names."""
    fleet = ClusterFleet(cluster)
    own = running(cluster.programs()[0])
    restored = sorted(foreign_builds(cluster))
    for name in restored:
        fleet.stop(name)
        fleet.start(name, own, APP_START_TIMEOUT)
        fleet.admit(name)
    return restored


def apps_not_up(cluster: LocalCluster) -> list[str]:
    """Returns ``path/server`` for every app server a balancer path does not send new
    requests to (down, draining or in maintenance)."""
    return [
        f"{path}/{server.name} {server.status}"
        for path, servers in balancer.app_servers(cluster.spec).items()
        for server in servers
        if not server.up
    ]


class SharedCluster:
    """The cluster the scenario modules share, started on first use, replaced when a
    module hands it back unfit."""

    def __init__(self, name: str = "scenarios") -> None:
        self.name = name
        self.current: LocalCluster | None = None
        self.residents = 0
        self.handovers: list[str] = []

    def checkout(self, module: str, *, residents: int) -> LocalCluster:
        """Returns a healthy cluster with at least `residents` demo residents for
        `module`: the shared one if it passes every check, else a fresh one."""
        if self.current is not None:
            began = time.monotonic()
            unfit = self.unfit(self.current, residents)
            if unfit is None:
                self.handovers.append(
                    f"{module}: reused, checked in {time.monotonic() - began:.1f} s"
                )
                return self.current
            self.handovers.append(f"{module}: replaced, {unfit}")
            self.close()
        else:
            self.handovers.append(f"{module}: started")
        began = time.monotonic()
        self.current = new_cluster(self.name, residents)
        self.residents = residents
        self.handovers.append(f"  up in {time.monotonic() - began:.1f} s: {self.current.timings}")
        return self.current

    def unfit(self, cluster: LocalCluster, residents: int) -> str | None:
        """Returns why `cluster` cannot be handed to the next module (restoring the app
        instances' own builds first), or None if it can."""
        if residents > self.residents:
            return f"the module wants {residents} residents, the cluster has {self.residents}"
        try:
            paused = cluster.pauses.paused()
            if paused:
                return f"still paused: {sorted(paused)}"
            held = cluster.held()
            if held:
                return f"held down: {[str(ref) for ref in held]}"
            restored = restore_own_builds(cluster)
            if restored:
                self.handovers.append(f"  app instances {restored} put back on the own build")
            cluster.wait_healthy(HEAL_TIMEOUT)
            missing = expected_processes(cluster) - set(cluster.pids())
            if missing:
                return f"not running: {sorted(missing)}"
            for member in cluster.members():
                cluster.postmaster_pid(member)  # raises ClusterError if it does not run
            foreign = foreign_builds(cluster)
            if foreign:
                return f"app instances on another build: {foreign}"
            if not wait_until(lambda: not apps_not_up(cluster), timeout=30):
                return f"app servers not up on the balancers: {apps_not_up(cluster)}"
            _, doubled = SqlLedger().audit(cluster.member_url(cluster.leader()), [])
            if doubled:
                return f"{doubled} issuances or fees written twice"
        except Exception as exc:  # whatever went wrong: it is not handed on, it is replaced
            return f"{type(exc).__name__}: {exc}"
        return None

    def close(self) -> None:
        """Stops the current cluster, if any, by PID and removes its folder."""
        cluster, self.current, self.residents = self.current, None, 0
        if cluster is not None:
            began = time.monotonic()
            remove_cluster(cluster)
            self.handovers.append(f"  down in {time.monotonic() - began:.1f} s")
