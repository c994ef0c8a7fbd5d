"""Starting, recognising and stopping the cluster's OS processes, by PID only.

A PID is acted on only while ``/proc/<pid>/cmdline`` still shows the command line this
launcher recorded for it, so a recycled PID belonging to someone else is never signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from minwon.operations.network.netns import in_namespace
from minwon.operations.processes import OsUser, pid_alive, run_as, stop_pid, wait_for_exit


@dataclass(frozen=True)
class Launched:
    """A process this launcher started: its PID, exact command line and log file."""

    name: str
    pid: int
    argv: tuple[str, ...]
    log: str


def cmdline(pid: int) -> tuple[str, ...] | None:
    """Returns the command line of `pid`, or None if it is gone or unreadable."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return tuple(part.decode(errors="replace") for part in raw.split(b"\0") if part)


def is_ours(launched: Launched) -> bool:
    """Returns True while `launched` is alive and still the process we started."""
    return pid_alive(launched.pid) and cmdline(launched.pid) == launched.argv


def spawn(
    name: str,
    argv: list[str],
    *,
    log: Path,
    cwd: Path,
    env: dict[str, str],
    user: OsUser | None,
    netns: str = "",
) -> tuple[Launched, subprocess.Popen[bytes]]:
    """Starts `argv` in its own session, output appended to `log`, as `user` if given,
    inside network namespace `netns` if given.

    The namespace is entered by the thread that forks (``in_namespace``), not by a
    wrapper such as ``ip netns exec``: the PID is the program's own from the start, with
    no exec chain that would change its command line after it was recorded.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    drop = run_as(user) if user is not None and os.geteuid() != user.uid else None
    with open(log, "ab") as out:
        where = f" in network namespace {netns}" if netns else ""
        out.write(f"\n=== minwon cluster: starting {name}{where}: {' '.join(argv)}\n".encode())
        out.flush()

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=env,
                start_new_session=True,  # a terminal's Ctrl-C must not reach the cluster
                user=drop["user"] if drop else None,
                group=drop["group"] if drop else None,
                extra_groups=drop["extra_groups"] if drop else None,
            )

        process = in_namespace(netns, start)
    # After exec the kernel shows the real command line (a script's interpreter first):
    # record that, since it is what ``is_ours`` compares with later.
    actual = cmdline(process.pid) or tuple(argv)
    return Launched(name, process.pid, actual, str(log)), process


def signal_ours(launched: Launched, sig: int) -> bool:
    """Sends `sig` if the process is still ours; returns False if it was already gone."""
    if not is_ours(launched):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(launched.pid, sig)
        return True
    return False


def stop_ours(launched: Launched, *, timeout: float, sig: int = signal.SIGTERM) -> None:
    """Stops the process if it is still ours (then SIGKILL after `timeout`); never raises
    for a process that is already gone."""
    if is_ours(launched):
        with contextlib.suppress(ProcessLookupError, TimeoutError):
            stop_pid(launched.pid, timeout=timeout, sig=signal.Signals(sig))


def stop_many(launched: list[Launched], *, timeout: float, sig: int = signal.SIGTERM) -> None:
    """Signals every process at once, waits for all, then SIGKILLs the ones left."""
    signalled = [item for item in launched if signal_ours(item, sig)]
    for item in signalled:
        if not wait_for_exit(item.pid, timeout):
            stop_ours(item, timeout=0.1, sig=signal.SIGKILL)


def postmaster_pid(data_dir: Path) -> int | None:
    """Returns the PID in ``postmaster.pid`` if that process is alive and serves `data_dir`."""
    try:
        first = (data_dir / "postmaster.pid").read_text(encoding="utf-8").splitlines()[0]
        pid = int(first.strip())
    except (OSError, IndexError, ValueError):
        return None
    line = cmdline(pid)
    if line is None or not pid_alive(pid) or not any(str(data_dir) in part for part in line):
        return None
    return pid


def log_tail(path: str | Path, limit: int = 3000) -> str:
    """Returns the last `limit` characters of a log file (or a note that there is none)."""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")[-limit:]
    except OSError:
        return f"(no log at {path})"
