"""Small process helpers shared by the local PostgreSQL and Patroni launchers.

Everything here acts only on what the caller names: a port it was handed, a PID it
started. Nothing looks processes up by name, so nothing else on the host is touched.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import signal
import socket
import time
from dataclasses import dataclass
from typing import TypedDict

SETUP_SCRIPT = "scripts/setup-system.sh"


class MissingOsUserError(RuntimeError):
    """The unprivileged OS user that runs database processes does not exist."""


@dataclass(frozen=True)
class OsUser:
    """An existing OS account, resolved once."""

    name: str
    uid: int
    gid: int
    groups: tuple[int, ...]


class RunAsKwargs(TypedDict):
    """Keyword arguments for ``subprocess.Popen``/``run`` that drop to another user."""

    user: int
    group: int
    extra_groups: list[int]


def ensure_os_user(name: str) -> OsUser:
    """Returns the OS user `name`, or raises MissingOsUserError saying how to create it."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise MissingOsUserError(
            f"OS user {name!r} does not exist; database processes cannot run as root. "
            f"Create it with `bash {SETUP_SCRIPT}` (as root)."
        ) from None
    groups = tuple(sorted(set(os.getgrouplist(name, entry.pw_gid))))
    return OsUser(name=name, uid=entry.pw_uid, gid=entry.pw_gid, groups=groups)


def run_as(user: OsUser | str) -> RunAsKwargs:
    """Returns subprocess keyword arguments that run the child as `user` (needs root).

    Python 3.11's subprocess does setgroups/setgid/setuid itself in the child, which is
    safer than a hand-written ``preexec_fn`` (no Python code runs between fork and exec).
    """
    resolved = ensure_os_user(user) if isinstance(user, str) else user
    return RunAsKwargs(user=resolved.uid, group=resolved.gid, extra_groups=list(resolved.groups))


def group_name(gid: int) -> str:
    """Returns the name of group `gid`, or the number as text if it has none."""
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def free_port(host: str = "127.0.0.1") -> int:
    """Returns a TCP port on `host` that was free a moment ago (the kernel's choice).

    The port is only reserved while this function holds it, so callers that bind later
    should retry with a fresh port if the bind fails.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(host: str, port: int) -> bool:
    """Returns True if nothing listens on `host`:`port` and it can be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Closed connections linger in TIME_WAIT on the server's port; they do not listen.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def wait_for_port(host: str, port: int, timeout: float) -> None:
    """Waits until `host`:`port` accepts a TCP connection; raises TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    last_error: OSError | None = None
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError as exc:
            last_error = exc
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"{host}:{port} did not accept connections within {timeout} s"
            ) from (last_error)
        time.sleep(0.05)


def pid_alive(pid: int) -> bool:
    """Returns True if `pid` is running; zombies count as gone, and our own are reaped."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass  # not our child: its own parent reaps it
    else:
        if reaped == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return False
    # The state follows the parenthesised command name, which may itself hold spaces.
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def wait_for_exit(pid: int, timeout: float) -> bool:
    """Waits up to `timeout` seconds for `pid` to exit; returns True if it did."""
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def stop_pid(pid: int, *, timeout: float, sig: signal.Signals = signal.SIGTERM) -> bool:
    """Stops `pid` with `sig`, then SIGKILL after `timeout` s; reaps it if it is our child.

    Returns True if the process stopped on `sig`, False if it had to be killed or was
    already gone. Raises TimeoutError if even SIGKILL does not end it within 10 s.
    """
    if pid <= 1:
        raise ValueError(f"refusing to signal pid {pid}")
    if not _signal(pid, sig):
        return False
    if wait_for_exit(pid, timeout):
        return True
    _signal(pid, signal.SIGKILL)
    if not wait_for_exit(pid, 10.0):
        raise TimeoutError(f"pid {pid} survived SIGKILL")
    return False


def _signal(pid: int, sig: signal.Signals) -> bool:
    """Sends `sig`; returns False if the process no longer exists."""
    if not pid_alive(pid):
        return False
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    except OSError as exc:  # pragma: no cover - EPERM as root would be a kernel surprise
        if exc.errno == errno.ESRCH:
            return False
        raise
    return True
