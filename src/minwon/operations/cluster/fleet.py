"""The local cluster's app instances as a release's fleet (``operations/release``).

Draining and admitting go through every HAProxy path's runtime API; replacing an
instance stops its process gracefully (uvicorn finishes what it has), records the new
build in ``state.json`` (so the supervisor restarts that build, not the old one) and
starts it on the same port.
"""

from __future__ import annotations

import time

from minwon.operations.cluster import balancer
from minwon.operations.cluster.balancer import ServerState
from minwon.operations.cluster.faults import ProcessKind, ProcessRef
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.cluster.probes import app_ready
from minwon.operations.cluster.supervise import cmdline, log_tail
from minwon.operations.release.builds import BUILD_FILE, Build, folder_of, load, running
from minwon.operations.release.ports import FleetError

POLL = 0.1


class ClusterFleet:
    """Implements ``ports.Fleet`` on a running ``LocalCluster``."""

    def __init__(self, cluster: LocalCluster) -> None:
        self.cluster = cluster

    def instances(self) -> list[str]:
        """Returns the app instance names (``1``, ``2``...)."""
        return [app.name for app in self.cluster.spec.apps]

    def build_of(self, instance: str) -> Build:
        """Returns the build ``state.json`` says `instance` runs (the cluster's own code
        if no release set one)."""
        assigned = self.cluster.app_build(instance)
        if assigned is not None and (folder_of(assigned["python"]) / BUILD_FILE).is_file():
            return load(folder_of(assigned["python"]))  # a prepared build, as prepared
        python = assigned["python"] if assigned is not None else self.cluster.programs()[0]
        return running(python)  # the code the cluster was started with

    def drain(self, instance: str, timeout: float) -> None:
        """Sets `instance` to DRAIN on every path and waits for its sessions to end."""
        spec = self.cluster.spec
        try:
            balancer.set_app_state(spec, instance, ServerState.DRAIN)
        except balancer.BalancerError as exc:
            raise FleetError(f"앱 {instance}을(를) 부하분산기에서 뺄 수 없습니다: {exc}") from exc
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._sessions(instance) == 0:
                return
            time.sleep(POLL)
        # Whatever is still in flight ends with the graceful stop (uvicorn finishes it).

    def _sessions(self, instance: str) -> int:
        name = f"app{instance}"
        servers = balancer.app_servers(self.cluster.spec)
        return sum(s.current_sessions for ss in servers.values() for s in ss if s.name == name)

    def stop(self, instance: str) -> None:
        """Stops the instance gracefully (held down: the supervisor leaves it)."""
        self.cluster.stop(ProcessRef(ProcessKind.APP, instance), timeout=15)

    def start(self, instance: str, build: Build, timeout: float) -> None:
        """Starts `build` as the instance on its port; waits until it answers."""
        ref = ProcessRef(ProcessKind.APP, instance)
        self.cluster.assign_build(instance, build.id, build.python)
        self.cluster.start(ref)
        url = self.url(instance)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if app_ready(url, timeout=1.0):
                return
            if not self.running(instance):
                log = self.cluster.launched_log(ref)
                tail = log_tail(log, 1500) if log else ""
                raise FleetError(f"앱 {instance}({build.id})이(가) 시작하자마자 끝났습니다: {tail}")
            time.sleep(POLL)
        raise FleetError(
            f"앱 {instance}({build.id})이(가) {timeout:.0f}초 안에 준비되지 않았습니다"
        )

    def admit(self, instance: str) -> None:
        """Sets `instance` READY on every path (it takes traffic once its checks pass)."""
        try:
            balancer.set_app_state(self.cluster.spec, instance, ServerState.READY)
        except balancer.BalancerError as exc:
            raise FleetError(f"앱 {instance}을(를) 부하분산기에 넣을 수 없습니다: {exc}") from exc

    def url(self, instance: str) -> str:
        """Returns the instance's own URL."""
        return self.cluster.spec.app(instance).url

    def process_python(self, instance: str) -> str | None:
        """Returns the Python the instance's running process was started with (from
        ``/proc``, not from what the state says), or None if it does not run."""
        pid = self.cluster.pids().get(str(ProcessRef(ProcessKind.APP, instance)))
        argv = cmdline(pid) if pid is not None else None
        return argv[0] if argv else None

    def running(self, instance: str) -> bool:
        """Returns True while the instance's process runs."""
        return str(ProcessRef(ProcessKind.APP, instance)) in self.cluster.pids()
