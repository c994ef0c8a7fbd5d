"""HAProxy's runtime API over its admin socket: which app servers are up; drain, ready.

One command per connection (``show stat``, ``set server <backend>/<server> state ...``),
as HAProxy's management guide describes; nothing is restarted or reloaded. The socket is
this machine's (a path) or another host's, reached with ``socat`` over a shell
(``SocketOverShell``: real hosts, over SSH).
"""

from __future__ import annotations

import csv
import io
import socket
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from minwon.operations.cluster.spec import ClusterSpec
from minwon.operations.remote.shell import Shell, ShellError


class BalancerError(Exception):
    """The runtime API could not be reached or refused a command."""


class ServerState(StrEnum):
    """What an operator may set a server to (HAProxy's ``set server ... state``)."""

    READY = "ready"  # takes new traffic (as its checks allow)
    DRAIN = "drain"  # finishes what it has, takes no new connections
    MAINT = "maint"  # out of service, checks stopped


@dataclass(frozen=True)
class Server:
    """One server line of ``show stat``: ``status`` is UP, DOWN, DRAIN, MAINT, ... and
    ``check`` HAProxy's last check result (L7OK, L4TOUT, ...)."""

    backend: str
    name: str
    status: str
    check: str
    current_sessions: int
    total_sessions: int
    check_seconds: float = 0.0  # how long its last check took (a timed-out one: all of it)

    @property
    def up(self) -> bool:
        """Returns True if the balancer sends it new requests (``UP``, not draining)."""
        return self.status.startswith("UP")


def command(admin_socket: str, line: str, *, timeout: float = 2.0) -> str:
    """Sends one runtime API command and returns HAProxy's answer."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(admin_socket)
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    except OSError as exc:
        raise BalancerError(f"HAProxy runtime API {admin_socket}: {exc}") from exc
    return b"".join(chunks).decode(errors="replace")


class RuntimeApi(Protocol):
    """Somewhere runtime API commands can be sent: one line in, HAProxy's answer out."""

    def command(self, line: str) -> str:
        """Sends `line`; BalancerError if HAProxy cannot be reached."""
        ...


@dataclass(frozen=True)
class SocketOverShell:
    """The admin socket of a HAProxy on another host, through ``socat`` run there."""

    shell: Shell
    host: str
    admin_socket: str
    timeout: float = 5.0

    def command(self, line: str) -> str:
        """Sends `line` to the socket on the host and returns HAProxy's answer."""
        argv = ["socat", "-t", "2", "stdio", f"UNIX-CONNECT:{self.admin_socket}"]
        try:
            stdin = line.encode() + b"\n"
            done = self.shell.run(self.host, argv, stdin=stdin, timeout=self.timeout)
        except ShellError as exc:
            raise BalancerError(str(exc)) from exc
        if not done.ok:
            raise BalancerError(f"HAProxy runtime API {done.why()}")
        return done.text()


def _send(where: str | RuntimeApi, line: str) -> str:
    return command(where, line) if isinstance(where, str) else where.command(line)


def servers(where: str | RuntimeApi, backend: str) -> list[Server]:
    """Returns every server of `backend` with its status (``show stat``); `where` is an
    admin socket on this machine or a ``RuntimeApi``."""
    text = _send(where, "show stat").lstrip("# ")
    found = []
    for row in csv.DictReader(io.StringIO(text)):
        if row.get("pxname") != backend or row.get("svname") in ("FRONTEND", "BACKEND"):
            continue
        found.append(
            Server(
                backend=backend,
                name=row["svname"],
                status=row.get("status", ""),
                check=row.get("check_status", ""),
                current_sessions=int(row.get("scur") or 0),
                total_sessions=int(row.get("stot") or 0),
                check_seconds=int(row.get("check_duration") or 0) / 1000,
            )
        )
    if not found:
        raise BalancerError(f"HAProxy has no servers in {backend!r}")
    return found


def set_state(where: str | RuntimeApi, backend: str, server: str, state: ServerState) -> None:
    """Sets `server` to `state` (drain before a release, ready after)."""
    answer = _send(where, f"set server {backend}/{server} state {state.value}")
    if answer.strip():
        raise BalancerError(f"set server {backend}/{server} state {state.value}: {answer}")


# -- the cluster's paths ------------------------------------------------------------------

APPS_BACKEND = "minwon_apps"


def app_servers(spec: ClusterSpec) -> dict[str, list[Server]]:
    """Returns, per HAProxy path of the cluster, its app servers (``app1``...)."""
    return {p.name: servers(p.admin_socket, APPS_BACKEND) for p in spec.haproxies if p.admin_socket}


def set_app_state(spec: ClusterSpec, app: str, state: ServerState) -> None:
    """Sets app instance `app` to `state` on every HAProxy path (drain before it is
    replaced, ready after)."""
    spec.app(app)  # KeyError for an unknown instance
    for proxy in spec.haproxies:
        if proxy.admin_socket:
            set_state(proxy.admin_socket, APPS_BACKEND, f"app{app}", state)
