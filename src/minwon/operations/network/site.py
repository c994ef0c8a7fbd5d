"""Kiosks and a data centre joined by two network paths: the F4 test bed, for real.

Two namespaces, ``<prefix>-k`` (the kiosk network: clients and their app balancer) and
``<prefix>-s`` (the data centre: app instances), joined by path ``a`` (10.231.1.0/30) and
path ``b`` (10.231.2.0/30), each a veth pair. Every app instance listens on all site
addresses, so it is reachable over both paths; the balancer (HAProxy, rendered by
``render.app_balancer_cfg``) has one server per instance per path, each checked with a
4 KB echo. The apps reach PostgreSQL over the nodes' Unix sockets: files cross network
namespaces, so no address is ever added to the host. Processes started here are stopped
here, by their Popen handles; the namespaces are deleted with them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from minwon.operations.cluster import balancer
from minwon.operations.cluster.render import BalancedServer, app_balancer_cfg
from minwon.operations.network import faults
from minwon.operations.network.netns import (
    Link,
    Namespace,
    NetworkError,
    call_in,
    connect,
    create_namespace,
    delete_namespace,
)

PATHS = ("a", "b")
SUBNETS = {"a": "10.231.1", "b": "10.231.2"}
BALANCER_PORT = 8080  # on the kiosk namespace's own loopback
FIRST_APP_PORT = 8001
BACKEND = "minwon_apps"


@dataclass(frozen=True)
class SitePrograms:
    """What the site runs: the Python with minwon, HAProxy, and the apps' environment."""

    python: str
    haproxy: str
    app_env: dict[str, str]
    app_dir: str


class TwoPathSite:
    """The two namespaces, both paths, `apps` app instances and the kiosks' balancer."""

    def __init__(self, root: Path, programs: SitePrograms, *, apps: int = 2) -> None:
        self.root = root
        self.programs = programs
        self.apps = apps
        self.prefix = f"mw{os.getpid() % 100000}"
        self.kiosks = Namespace(f"{self.prefix}-k")
        self.site = Namespace(f"{self.prefix}-s")
        self.links: dict[str, Link] = {}
        self._processes: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []

    # -- up and down --------------------------------------------------------------------

    def up(self, timeout: float = 60.0) -> None:
        """Builds both paths, starts the apps and the balancer; returns once every app
        answers over both paths and the balancer has every server up."""
        try:
            self.kiosks = create_namespace(self.kiosks.name)
            self.site = create_namespace(self.site.name)
            for path in PATHS:
                self.links[path] = connect(
                    f"{self.prefix}{path}", self.kiosks, self.site, subnet=SUBNETS[path]
                )
            for number in range(1, self.apps + 1):
                self._start_app(number)
            self._start_balancer()
            self._wait(timeout)
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        """Stops what ``up`` started (by its handles) and deletes both namespaces."""
        for _, process, log in reversed(self._processes):
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            log.close()
        self._processes.clear()
        for namespace in (self.kiosks, self.site):
            delete_namespace(namespace)

    def _spawn(self, name: str, namespace: Namespace, argv: list[str], env: dict[str, str]) -> None:
        logs = self.root / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - closed by down()
        process = subprocess.Popen(
            namespace.argv(*argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.programs.app_dir,
            env=env,
            start_new_session=True,
        )
        self._processes.append((name, process, log))

    def _start_app(self, number: int) -> None:
        argv = [self.programs.python, "-m", "minwon.cli.main", "serve"]
        argv += ["--host", "0.0.0.0", "--port", str(self.app_port(number))]
        self._spawn(f"site-app{number}", self.site, argv, dict(self.programs.app_env))

    def _start_balancer(self) -> None:
        servers = [
            BalancedServer(self.server_name(number, path), f"{SUBNETS[path]}.2", port)
            for number in range(1, self.apps + 1)
            for path in PATHS
            for port in [self.app_port(number)]
        ]
        config = app_balancer_cfg(
            str(self.root / "balancer.cfg"),
            name="kiosks",
            bind=("127.0.0.1", BALANCER_PORT),
            admin_socket=self.admin_socket,
            servers=servers,
        )
        Path(config.path).write_text(config.text)
        env = {"PATH": "/usr/sbin:/usr/bin:/bin"}
        self._spawn(
            "site-balancer", self.kiosks, [self.programs.haproxy, "-db", "-f", config.path], env
        )

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process, _ in self._processes:
                if process.poll() is not None:
                    log = (self.root / "logs" / f"{name}.log").read_text(errors="replace")
                    raise NetworkError(f"{name} exited ({process.returncode}): {log[-2000:]}")
            if self._everything_answers():
                return
            time.sleep(0.2)
        raise NetworkError(f"the two-path site was not ready within {timeout:.0f} s")

    def _everything_answers(self) -> bool:
        try:
            states = self.balancer_servers()
        except balancer.BalancerError:
            return False
        return all(states.values()) and all(self.echoes(path, 4096, 2.0) for path in PATHS)

    # -- what tests and steps use -------------------------------------------------------

    @property
    def admin_socket(self) -> str:
        """Returns the balancer's runtime API socket (a file: reachable from the host)."""
        return str(self.root / "balancer.sock")

    @property
    def paths(self) -> tuple[str, ...]:
        """Returns the names of the paths (``a``, ``b``)."""
        return PATHS

    def app_port(self, number: int) -> int:
        """Returns the port app instance `number` listens on inside the site."""
        return FIRST_APP_PORT + number - 1

    def server_name(self, number: int, path: str) -> str:
        """Returns the balancer's name for app `number` reached over `path`."""
        return f"app{number}-{path}"

    def app_url(self, number: int, path: str) -> str:
        """Returns app `number`'s base URL over `path` (from the kiosk namespace)."""
        return f"http://{SUBNETS[path]}.2:{self.app_port(number)}"

    @property
    def balancer_url(self) -> str:
        """Returns the kiosks' balancer (from the kiosk namespace)."""
        return f"http://127.0.0.1:{BALANCER_PORT}"

    def endpoints(self) -> list[str]:
        """Returns what a kiosk client tries: its balancer, then each app over a path."""
        direct = [self.app_url(n, PATHS[(n - 1) % len(PATHS)]) for n in range(1, self.apps + 1)]
        return [self.balancer_url, *direct]

    def enter_kiosks(self) -> None:
        """Moves the calling thread into the kiosk network (load worker threads)."""
        self.kiosks.enter_this_thread()

    def balancer_servers(self) -> dict[str, bool]:
        """Returns each balancer server (``app1-a``...) and whether it takes traffic."""
        return {s.name: s.up for s in balancer.servers(self.admin_socket, BACKEND)}

    def echoes(self, path: str, size: int, timeout: float) -> bool:
        """Returns True if app 1 echoes `size` bytes over `path` within `timeout`; a
        `size` of 0 sends the small ``GET /healthz`` a stock health check sends."""
        url = self.app_url(1, path)

        def ask() -> bool:
            try:
                with httpx.Client(timeout=timeout) as client:
                    if size == 0:
                        return client.get(f"{url}/healthz").status_code == 200
                    body = b"e" * size
                    answer = client.post(f"{url}/healthz/echo", content=body)
                    return answer.status_code == 200 and answer.content == body
            except httpx.HTTPError:
                return False

        return call_in(self.kiosks, ask)

    def drop_large_packets(self, path: str) -> None:
        """Makes `path` drop packets of 1,400 bytes and more, both ways (the 2023 router)."""
        faults.drop_large_packets(self.links[path])

    def lift(self, path: str) -> None:
        """Removes the fault from `path`."""
        faults.lift(self.links[path])

    def dropped_packets(self, path: str) -> int:
        """Returns how many packets the fault on `path` dropped."""
        return faults.dropped_packets(self.links[path])
