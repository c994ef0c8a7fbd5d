"""App instances on real hosts as a release's fleet (``ports.Fleet``), over a shell (SSH).

Each host keeps its builds side by side (``host_side.py``); replacing an instance drains
it through every HAProxy path's runtime API (``socat`` on the balancer's host), stops its
service, points ``current`` at the build, starts the service and waits for ``/readyz``
at the instance's own URL. The service manager (systemd) restarts whatever ``current``
points at, so a crash after a release restarts the released build.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from minwon.operations.cluster import balancer
from minwon.operations.cluster.balancer import APPS_BACKEND, ServerState, SocketOverShell
from minwon.operations.cluster.probes import app_ready
from minwon.operations.release.builds import Build, folder_of
from minwon.operations.release.fleet_plan import FleetPlan, HostApp, Transport
from minwon.operations.release.host_side import pack
from minwon.operations.release.ports import FleetError
from minwon.operations.remote.shell import Completed, LocalShell, Shell, ShellError, SshShell

POLL = 0.1


def shell_for(transport: Transport) -> Shell:
    """Returns the shell that reaches the hosts of a plan with `transport` (SSH for real
    hosts; this machine for the local cluster)."""
    if transport.kind == "local":
        return LocalShell()
    return SshShell(user=transport.user, port=transport.port, options=transport.options)


class HostFleet:
    """Implements ``ports.Fleet`` on the hosts `plan` names, through `shell`."""

    def __init__(self, plan: FleetPlan, shell: Shell) -> None:
        self.plan = plan
        self.shell = shell

    # -- commands on hosts ----------------------------------------------------------------

    def _run(self, app: HostApp, argv: Sequence[str], *, stdin: bytes = b"") -> Completed:
        try:
            return self.shell.run(app.host, argv, stdin=stdin, timeout=180)
        except ShellError as exc:
            raise FleetError(f"앱 {app.name}: {exc}") from exc

    def _host_minwon(self, app: HostApp, *args: str, stdin: bytes = b"") -> dict[str, str]:
        done = self._run(app, [*app.host_command, *args], stdin=stdin)
        if not done.ok:
            raise FleetError(f"앱 {app.name}: {done.why()}")
        try:
            data = json.loads(done.text())
            return {k: str(v) for k, v in data.items()}
        except (ValueError, AttributeError) as exc:
            raise FleetError(f"앱 {app.name}: 알 수 없는 응답 {done.text()[:200]!r}") from exc

    def _service(self, app: HostApp, argv: Sequence[str], what: str) -> None:
        done = self._run(app, argv)
        if not done.ok:
            raise FleetError(f"앱 {app.name}을(를) {what} 수 없습니다: {done.why()}")

    def _api(self, proxy_host: str, admin_socket: str) -> SocketOverShell:
        return SocketOverShell(self.shell, proxy_host, admin_socket)

    # -- builds -----------------------------------------------------------------------------

    def install(self, build: Build) -> None:
        """Installs `build` (prepared on this machine) beside the running one on every
        host; FleetError if a host ends up with other code than `build`."""
        packed = pack(folder_of(build.python))
        for app in self.plan.apps:
            there = self._host_minwon(app, "install", "--releases", app.releases, stdin=packed)
            if there.get("digest") != build.digest:
                raise FleetError(f"앱 {app.name}에 설치된 코드가 다릅니다: {there.get('id')}")

    def build_of(self, instance: str) -> Build:
        """Returns the build `current` points at on the instance's host."""
        app = self.plan.app(instance)
        data = self._host_minwon(app, "current", "--current", app.current)
        return Build(data["id"], data["version"], data["digest"], data["python"])

    # -- Fleet ------------------------------------------------------------------------------

    def instances(self) -> list[str]:
        """Returns the instance names, in the plan's order."""
        return [app.name for app in self.plan.apps]

    def _set_state(self, instance: str, state: ServerState) -> None:
        server = f"app{self.plan.app(instance).name}"
        for proxy in self.plan.balancers:
            try:
                balancer.set_state(
                    self._api(proxy.host, proxy.admin_socket), APPS_BACKEND, server, state
                )
            except balancer.BalancerError as exc:
                raise FleetError(
                    f"앱 {instance}을(를) 부하분산기 {proxy.name}에서 {state.value}로 "
                    f"바꿀 수 없습니다: {exc}"
                ) from exc

    def drain(self, instance: str, timeout: float) -> None:
        """Sets the instance to DRAIN on every path and waits for its sessions to end."""
        self._set_state(instance, ServerState.DRAIN)
        server = f"app{instance}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sessions = 0
            for proxy in self.plan.balancers:
                api = self._api(proxy.host, proxy.admin_socket)
                found = balancer.servers(api, APPS_BACKEND)
                sessions += sum(s.current_sessions for s in found if s.name == server)
            if sessions == 0:
                return
            time.sleep(POLL)

    def stop(self, instance: str) -> None:
        """Stops the instance's service (uvicorn finishes what it has)."""
        app = self.plan.app(instance)
        self._service(app, app.service.stop, "멈출")

    def start(self, instance: str, build: Build, timeout: float) -> None:
        """Points the host's ``current`` at `build`, starts the service, waits for it."""
        app = self.plan.app(instance)
        self._host_minwon(
            app, "switch", build.id, "--releases", app.releases, "--current", app.current
        )
        self._service(app, app.service.start, "시작할")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if app_ready(app.url, timeout=1.0):
                return
            if not self.running(instance):
                log = self._run(app, app.service.log).text()[-1500:]
                raise FleetError(f"앱 {instance}({build.id})이(가) 시작하자마자 끝났습니다: {log}")
            time.sleep(POLL)
        raise FleetError(
            f"앱 {instance}({build.id})이(가) {timeout:.0f}초 안에 준비되지 않았습니다"
        )

    def admit(self, instance: str) -> None:
        """Sets the instance READY on every path."""
        self._set_state(instance, ServerState.READY)

    def url(self, instance: str) -> str:
        """Returns the instance's own URL."""
        return self.plan.app(instance).url

    def running(self, instance: str) -> bool:
        """Returns True while the instance's service runs (its ``active`` command)."""
        app = self.plan.app(instance)
        try:
            return self.shell.run(app.host, app.service.active, timeout=15).ok
        except ShellError:
            return False
