"""HAProxy's runtime API over its admin socket: which app servers are up; drain, ready.

One command per connection (``show stat``, ``set server <backend>/<server> state ...``),
as HAProxy's management guide describes; nothing is restarted or reloaded.
"""

from __future__ import annotations

import csv
import io
import socket
from dataclasses import dataclass
from enum import StrEnum

from minwon.operations.cluster.spec import ClusterSpec


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


def servers(admin_socket: str, backend: str) -> list[Server]:
    """Returns every server of `backend` with its status (``show stat``)."""
    text = command(admin_socket, "show stat").lstrip("# ")
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
            )
        )
    if not found:
        raise BalancerError(f"HAProxy has no servers in {backend!r}")
    return found


def set_state(admin_socket: str, backend: str, server: str, state: ServerState) -> None:
    """Sets `server` to `state` (drain before a release, ready after)."""
    answer = command(admin_socket, f"set server {backend}/{server} state {state.value}")
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
