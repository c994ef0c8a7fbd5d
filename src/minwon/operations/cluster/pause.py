"""Gray faults: a member's processes frozen with SIGSTOP and thawed with SIGCONT, by PID.

A stopped process is alive: its sockets stay open, its PID file stays valid, and nothing
that only asks "is it running?" notices. That is the point (a hung walreceiver, a hung
host); it is also why every pause is written down in ``<root>/paused.json`` before the
signal is sent: ``LocalCluster.down`` and scenario cleanup thaw everything listed there
first, since a stopped process cannot act on SIGTERM and would be killed the hard way.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from minwon.operations.cluster.errors import ClusterError
from minwon.operations.cluster.faults import (
    PauseScope,
    PauseTarget,
    ProcessKind,
    ProcessRef,
    patroni,
    postmaster,
)
from minwon.operations.cluster.supervise import cmdline

PAUSED_FILE = "paused.json"

FindPid = Callable[[ProcessRef], int | None]


def children(pid: int) -> list[int]:
    """Returns the PIDs whose parent is `pid` (read from ``/proc/<n>/stat``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(entry.name))
    return sorted(found)


def descendants(pid: int) -> list[int]:
    """Returns every process below `pid`, parents before their children."""
    found: list[int] = []
    queue = children(pid)
    while queue:
        child = queue.pop(0)
        found.append(child)
        queue += children(child)
    return found


def _stat(pid: int) -> list[str] | None:
    """Returns the fields of ``/proc/<pid>/stat`` after the command name, or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return stat[stat.rfind(")") + 2 :].split()


def process_state(pid: int) -> str | None:
    """Returns the state letter of `pid` ("T" while stopped), or None if it is gone."""
    fields = _stat(pid)
    return fields[0] if fields else None


def start_time(pid: int) -> int | None:
    """Returns when `pid` started (clock ticks since boot): with the PID, it names one
    process for good, unlike its title, which PostgreSQL rewrites as it works."""
    fields = _stat(pid)
    return int(fields[19]) if fields and len(fields) > 19 else None


def _settle(pid: int, *, stopped: bool, timeout: float = 1.0) -> None:
    """Waits until `pid` shows as stopped (or not), since signals arrive asynchronously."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = process_state(pid)
        if state is None or (state == "T") == stopped:
            return
        time.sleep(0.005)


def is_walreceiver(pid: int) -> bool:
    """Returns True if `pid`'s process title is PostgreSQL's walreceiver."""
    line = cmdline(pid)
    title = " ".join(line) if line else ""
    return title.startswith("postgres:") and " walreceiver" in title


class Pauses:
    """The pauses of one local cluster: freezing, thawing, and the file that lists them."""

    def __init__(self, root: Path, find_pid: FindPid) -> None:
        self.file = root / PAUSED_FILE
        self._find_pid = find_pid

    def paused(self) -> dict[str, list[tuple[int, int]]]:
        """Returns the processes frozen now as (PID, start time), by target
        (``walreceiver@pg2``), in pause order."""
        try:
            raw = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {key: [(int(pid), int(began)) for pid, began in rows] for key, rows in raw.items()}

    def _save(self, paused: dict[str, list[tuple[int, int]]]) -> None:
        if not paused:
            self.file.unlink(missing_ok=True)
            return
        tmp = self.file.with_suffix(".tmp")
        data = {key: [list(row) for row in rows] for key, rows in paused.items()}
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, self.file)

    def _postmaster(self, member: str) -> int:
        pid = self._find_pid(postmaster(member))
        if pid is None:
            raise ClusterError(f"PostgreSQL of {member} is not running")
        return pid

    def pause(self, target: PauseTarget) -> list[int]:
        """Stops the processes of `target` (SIGSTOP); returns their PIDs in the order sent.

        The parent is stopped before its children are listed, so that a stopped postmaster
        cannot start one the pause would miss; a node's Patroni goes first, so that it
        never sees its own PostgreSQL hang.
        """
        paused = self.paused()
        if str(target) in paused:
            raise ClusterError(f"{target} is already paused")
        rows: list[tuple[int, int]] = []
        paused[str(target)] = rows

        def stop(pid: int) -> None:
            began = start_time(pid)
            if began is None or any(pid == p for p, _ in rows):
                return
            rows.append((pid, began))
            self._save(paused)  # written before the signal: never a stopped process unlisted
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
                _settle(pid, stopped=True)

        try:
            if target.scope is PauseScope.WALRECEIVER:
                receivers = [
                    p for p in children(self._postmaster(target.member)) if is_walreceiver(p)
                ]
                if not receivers:
                    raise ClusterError(f"{target.member} has no walreceiver (is it a standby?)")
                for pid in receivers:
                    stop(pid)
            else:
                if target.scope is PauseScope.NODE:
                    patroni_pid = self._find_pid(patroni(target.member))
                    if patroni_pid is None:
                        raise ClusterError(f"Patroni of {target.member} is not running")
                    stop(patroni_pid)
                    # The host's guard hangs with it (it would fence its own node).
                    guard_pid = self._find_pid(ProcessRef(ProcessKind.GUARD, target.member))
                    if guard_pid is not None:
                        stop(guard_pid)
                top = self._postmaster(target.member)
                stop(top)
                if target.scope is not PauseScope.POSTMASTER:
                    for pid in descendants(top):
                        stop(pid)
        except BaseException:
            self.resume(target)
            raise
        if not rows:
            raise ClusterError(f"nothing of {target} is running")
        return [pid for pid, _ in rows]

    def resume(self, target: PauseTarget) -> list[int]:
        """Continues (SIGCONT) what the pause of `target` stopped, children first; returns
        the PIDs continued. A no-op for a target that is not paused."""
        paused = self.paused()
        rows = paused.pop(str(target), [])
        resumed = []
        for pid, began in reversed(rows):
            if start_time(pid) != began:
                continue  # gone (killed while stopped): its PID may be someone else's now
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
                _settle(pid, stopped=False)
                resumed.append(pid)
        self._save(paused)
        return resumed

    def resume_all(self) -> list[int]:
        """Continues every paused process, the latest pause first; returns their PIDs."""
        resumed = []
        for key in reversed(list(self.paused())):
            resumed += self.resume(PauseTarget.parse(key))
        return resumed
