"""Whether each database host answers on the network at all (``host.unreachable``).

A partitioned host, or one whose power or switch failed, answers nothing: a connection to
it is neither accepted nor refused, it times out. Its Patroni keeps its leader key in
etcd until the lease runs out (20 s), so until then nothing else in the cluster shows the
fault. A process that died is refused at once (its host still answers) and a hung one is
accepted by the kernel: neither is this. The watcher connects to each member's Patroni
REST port, every member at once; a host silent there is unreachable from where the
watcher runs (the first app host: where the apps are).
"""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

from minwon.operations.cluster.spec import ClusterSpec, PatroniNode
from minwon.operations.incidents.conditions import Condition, Reading
from minwon.operations.incidents.model import Cause

# A loopback or LAN connect is answered (accepted or refused) by the peer's kernel in well
# under a millisecond, however loaded its programs are.
CONNECT_TIMEOUT = 0.5


def answers(host: str, port: int, timeout: float = CONNECT_TIMEOUT) -> bool:
    """Returns False only if a TCP connection to host:port got no answer at all (timed
    out or no route): accepted or refused, the host answered."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except ConnectionRefusedError:
        return True
    except OSError:  # timeout, unreachable network or host
        return False


def silent_members(spec: ClusterSpec, timeout: float = CONNECT_TIMEOUT) -> dict[str, str]:
    """Returns member → detail for each database host that does not answer."""

    def silent(node: PatroniNode) -> bool:
        return not answers(node.host, node.rest_port, timeout)

    nodes = spec.nodes
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        found = dict(zip((n.name for n in nodes), pool.map(silent, nodes), strict=True))
    said = f"answers nothing (no reply to a connection within {timeout} s)"
    return {name: f"{spec.node(name).host} {said}" for name, quiet in found.items() if quiet}


def reach_reading(at: float, silent: dict[str, str]) -> Reading:
    """Returns the reading of one look: a ``host.unreachable`` on each silent member."""
    found = tuple(
        Condition(f"postgres:{name}", Cause.HOST_UNREACHABLE, detail)
        for name, detail in sorted(silent.items())
    )
    return Reading("reach", at, found)
