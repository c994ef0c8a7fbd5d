"""F5's fault: the whole site is lost at once (the 2025 fire), ``minwon cluster kill site``.

Every process the site's launcher started (etcd, Patroni, guards, HAProxy, apps, the
supervisor), every postmaster (found by its data directory) and every process under any
of them (backends, walsenders, pgBackRest's background pushers) gets SIGKILL in one pass,
so none outlives the others long enough to act: no Patroni demotes cleanly, no walsender
sends one more record, no supervisor starts anything again. Only PIDs this launcher
recorded, or found under them, are touched. Data stays on disk, as it would in a burnt
building's backup of nothing: what the second site has is what counts.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from minwon.operations.cluster.state import ClusterState
from minwon.operations.cluster.supervise import is_ours, postmaster_pid


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="utf-8")
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the parent PID follows the last ")".
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1:
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def site_pids(state: ClusterState) -> list[int]:
    """Returns every live PID of the site: what the launcher started (still the same
    process), its postmasters, and everything under those."""
    roots = [launched.pid for launched in state.processes.values() if is_ours(launched)]
    if state.supervisor is not None and is_ours(state.supervisor):
        roots.append(state.supervisor.pid)
    for node in state.spec.nodes:
        pid = postmaster_pid(Path(node.data_dir))
        if pid is not None:
            roots.append(pid)
    tree = _children()
    found: list[int] = []
    pending = list(roots)
    while pending:
        pid = pending.pop()
        if pid in found or pid == os.getpid():
            continue
        found.append(pid)
        pending.extend(tree.get(pid, []))
    return found


def kill_site(state: ClusterState) -> list[int]:
    """SIGKILLs every process of the site in one pass; returns the PIDs signalled."""
    pids = site_pids(state)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return pids
