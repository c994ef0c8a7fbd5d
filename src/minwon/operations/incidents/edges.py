"""App balancers outside the cluster that the watcher also watches (an "edge").

A kiosk network reaches the apps through a balancer of its own that checks every app
instance over each network path (F4: the 2023 router that dropped large packets). That
balancer is not part of the cluster's spec, so an operator registers it with
``minwon ops edge add NAME --admin-socket PATH``; the list is ``<root>/edges.json``,
which the watcher reads again whenever it changes. Each round takes HAProxy's own view
over the runtime API (``show stat``): a server its checks have begun to fail (``UP 1/2``)
or taken out (``DOWN``) is an ``edge.servers_down`` on ``edge:NAME``, one incident for
all the servers of that balancer (one path's fault takes out every instance behind it).
Its start is when the first failing check began (the look's time less the check's
duration: a timed-out check took its whole timeout), its end the look that saw every
server ``UP`` again. A balancer that does not answer at all is the same condition.
Servers an operator drained or put in maintenance (a release) are no fault.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

from minwon.operations.cluster.balancer import APPS_BACKEND, BalancerError, servers
from minwon.operations.incidents.conditions import Condition, Reading
from minwon.operations.incidents.model import Cause
from minwon.operations.incidents.prober import Prober

EDGES_FILE = "edges.json"
# ``show stat`` over a local socket costs next to nothing; its checks change state every
# 250-500 ms (fastinter, inter): looked at as often, an end is seen within that.
EDGE_PROBE_SECONDS = 0.25
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class Edge:
    """One registered balancer: its name and where its runtime API listens."""

    name: str
    admin_socket: str
    backend: str = APPS_BACKEND


@dataclass(frozen=True)
class EdgeLook:
    """One look at an edge balancer: its failing servers (name → detail) and the longest
    duration of their last checks, in seconds; ``answered`` False if it said nothing."""

    answered: bool
    failing: dict[str, str]
    check_seconds: float = 0.0


def read_edges(root: Path) -> list[Edge]:
    """Returns the registered balancers ([] if none)."""
    try:
        raw = json.loads((root / EDGES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [Edge(**e) for e in raw if isinstance(e, dict)]


def write_edges(root: Path, edges: list[Edge]) -> None:
    """Replaces the list at once (the watcher never reads half of it)."""
    path = root / EDGES_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps([asdict(e) for e in edges], indent=2), encoding="utf-8")
    os.replace(temporary, path)


def _failing(status: str) -> bool:
    # "UP 1/2": up, its checks beginning to fail; "DOWN", "DOWN 1/2" (coming back).
    return status.startswith("DOWN") or (status.startswith("UP") and "/" in status)


def look_at_edge(edge: Edge) -> EdgeLook:
    """Returns what the balancer says of its servers now."""
    try:
        found = servers(edge.admin_socket, edge.backend)
    except BalancerError:
        return EdgeLook(False, {})
    failing = [s for s in found if _failing(s.status)]
    return EdgeLook(
        True,
        {s.name: f"{s.status} ({s.check})" if s.check else s.status for s in failing},
        max((s.check_seconds for s in failing), default=0.0),
    )


def edge_reading(at: float, edge: Edge, look: EdgeLook) -> Reading:
    """Returns the reading of one look (made at `at`) at `edge`."""
    component = f"edge:{edge.name}"
    if not look.answered:
        detail = f"its runtime API ({edge.admin_socket}) does not answer"
        return Reading(component, at, (Condition(component, Cause.EDGE_SERVERS_DOWN, detail),))
    if not look.failing:
        return Reading(component, at)
    detail = ", ".join(f"{name} {why}" for name, why in sorted(look.failing.items()))
    since = at - look.check_seconds
    return Reading(component, at, (Condition(component, Cause.EDGE_SERVERS_DOWN, detail, since),))


class EdgeWatch:
    """A prober per registered balancer, kept in step with ``edges.json``: a balancer
    added gets one at the next round, one removed loses its own (and its reading)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._stamp: float | None = None
        self._probers: dict[Edge, Prober[EdgeLook]] = {}

    def _sync(self) -> list[Edge]:
        try:
            stamp: float | None = (self.root / EDGES_FILE).stat().st_mtime
        except OSError:
            stamp = None
        if stamp == self._stamp:
            return []
        self._stamp = stamp
        wanted = set(read_edges(self.root))
        removed = list(set(self._probers) - wanted)
        for gone in removed:
            self._probers.pop(gone).stop()
        for edge in wanted - set(self._probers):
            prober = Prober(f"edge:{edge.name}", partial(look_at_edge, edge), EDGE_PROBE_SECONDS)
            prober.start()
            self._probers[edge] = prober
        return removed

    @property
    def names(self) -> set[str]:
        """Returns the components of the balancers watched now (``edge:NAME``)."""
        return {f"edge:{e.name}" for e in self._probers}

    def readings(self, at: float) -> list[Reading]:
        """Returns the fresh reading of each balancer watched, and for one no longer
        registered an empty one (at `at`): no longer watched, nothing of it stays open."""
        found = [Reading(f"edge:{gone.name}", at) for gone in self._sync()]
        for edge, prober in self._probers.items():
            if (look := prober.fresh()) is not None:
                found.append(edge_reading(look[0], edge, look[1]))
        return found

    def close(self) -> None:
        """Stops every prober."""
        for prober in self._probers.values():
            prober.stop()
        self._probers.clear()
