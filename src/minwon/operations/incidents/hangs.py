"""Processes of the cluster that hang: stopped (state ``T`` in ``/proc/<pid>/stat``).

A stopped process is alive: its PID file stays valid and its sockets stay open, so every
"is it running?" check passes while it answers nothing. The watcher looks at the state of
each process it knows, and for a PostgreSQL at every process below its postmaster too (a
hung walreceiver or backend hangs that PostgreSQL), in one pass over ``/proc`` a round.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from minwon.operations.cluster.supervise import cmdline

STOPPED = "T"  # stopped by a signal (SIGSTOP, SIGTSTP); "t" is a debugger's stop


@dataclass(frozen=True)
class Proc:
    """One process as ``/proc/<pid>/stat`` shows it."""

    pid: int
    ppid: int
    state: str


def processes(proc: Path = Path("/proc")) -> dict[int, Proc]:
    """Returns every process of this machine (by PID) with its parent and state."""
    found: dict[int, Proc] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # gone meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[1].isdigit():
            found[int(entry.name)] = Proc(int(entry.name), int(fields[1]), fields[0])
    return found


def _below(pid: int, table: dict[int, Proc]) -> list[int]:
    """Returns `pid` and every process below it, parents first."""
    by_parent: dict[int, list[int]] = {}
    for p in table.values():
        by_parent.setdefault(p.ppid, []).append(p.pid)
    found, queue = [], [pid]
    while queue:
        current = queue.pop(0)
        found.append(current)
        queue += sorted(by_parent.get(current, []))
    return found


def _title(pid: int) -> str:
    line = cmdline(pid)
    return " ".join(line)[:60] if line else "?"


def stopped(
    single: dict[str, int], trees: dict[str, int], table: dict[int, Proc] | None = None
) -> dict[str, str]:
    """Returns component → detail for each component with a stopped process: the process
    itself for `single` (component → PID), it or any process below it for `trees`."""
    table = processes() if table is None else table
    found: dict[str, str] = {}
    for component, pid in single.items():
        p = table.get(pid)
        if p is not None and p.state == STOPPED:
            found[component] = f"pid {pid} stopped (state T), alive but answering nothing"
    for component, root in trees.items():
        if root not in table:
            continue
        hung = [pid for pid in _below(root, table) if table[pid].state == STOPPED]
        if not hung:
            continue
        first = "postmaster" if hung[0] == root else _title(hung[0])
        more = f" and {len(hung) - 1} more" if len(hung) > 1 else ""
        found[component] = f"pid {hung[0]} ({first}){more} stopped (state T)"
    return found
