"""Whether the primary site is out of the way, and putting it there.

Promoting the second site while the primary site still takes writes makes two primaries:
documents issued on both, numbers that collide, a registry that forks. Patroni's
promotion of a standby cluster checks nothing of the sort, so ``minwon dr promote`` does
first: the primary site counts as fenced only when nothing of it can take a write, that
is, no node answers as the primary (Patroni's ``GET /primary``), no HAProxy path accepts a
connection and no app instance answers: stopped, or its paths and apps turned away. A site that
is merely cut off looks the same from here; that is why an operator who can still reach it
fences it for real (``fence_site``: every process stopped by PID, its data kept) and why a
fenced site carries a mark (``fenced.json`` in its folder) that its launcher obeys: it
starts nothing until ``minwon dr rejoin`` makes it the standby of the new primary.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx

from minwon.operations import plain_http
from minwon.operations.cluster.control import STATE_FILE
from minwon.operations.cluster.errors import ClusterError
from minwon.operations.cluster.fence_mark import fence_mark
from minwon.operations.cluster.spec import ClusterSpec
from minwon.operations.cluster.state import StateStore


@dataclass(frozen=True)
class FenceReport:
    """What of the primary site still answers (empty: fenced), and how it was checked."""

    answering: tuple[str, ...]
    checked: int  # endpoints tried
    marked: bool  # the site's folder carries the fence mark

    @property
    def fenced(self) -> bool:
        """Returns True when nothing of the primary site can take a write."""
        return not self.answering


def _accepts(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _answers(url: str, timeout: float, *, expect: int | None = None) -> bool:
    try:
        status = plain_http.get(url, timeout=timeout).status_code
    except httpx.HTTPError:
        return False
    return expect is None or status == expect


def site_spec(root: Path) -> ClusterSpec:
    """Returns the spec of the site whose launcher folder is `root`."""
    state = StateStore(Path(root) / STATE_FILE).read()
    if state is None:
        raise ClusterError(f"no site state in {root}")
    return state.spec


def check(spec: ClusterSpec, *, root: Path | None = None, timeout: float = 1.0) -> FenceReport:
    """Returns what of the site `spec` describes could still take a write: a node that
    answers as the primary, a path that accepts, an app that answers."""
    probes: list[tuple[str, Callable[[], bool]]] = []
    for node in spec.nodes:
        url = f"{node.rest_url}/primary"
        probes.append(
            (f"Patroni {node.name} (primary)", partial(_answers, url, timeout, expect=200))
        )
    for proxy in spec.haproxies:
        ports = [("database", proxy.port)] + ([("app", proxy.app_port)] if proxy.app_port else [])
        for what, port in ports:
            probes.append(
                (f"HAProxy {proxy.name} {what} path", partial(_accepts, proxy.host, port, timeout))
            )
    for app in spec.apps:
        probes.append((f"app {app.name}", partial(_answers, f"{app.url}/healthz", timeout)))
    with ThreadPoolExecutor(max_workers=max(1, len(probes))) as pool:
        results = list(pool.map(lambda probe: probe[1](), probes))
    answering = tuple(name for (name, _), up in zip(probes, results, strict=True) if up)
    marked = root is not None and fence_mark(root) is not None
    return FenceReport(answering, len(probes), marked)
