"""What the launcher remembers about a started cluster: ``<root>/state.json``, typed.

The JSON layout is the one earlier launchers wrote (version 1), so a cluster started
before this module existed can still be inspected, changed and stopped; the supervisor's
keys (``supervisor``, ``held``, ``restarts``) are written only when they hold something.

Several processes write the file (the CLI's kill/start/stop and the supervisor), so every
change is a read-modify-write under an exclusive ``fcntl`` lock on ``state.lock``
(``StateStore.update``), and every write replaces the file atomically: a reader without
the lock never sees half a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minwon.operations.cluster.faults import ProcessRef
from minwon.operations.cluster.spec import ClusterSpec
from minwon.operations.cluster.supervise import Launched

STATE_VERSION = 1


@dataclass(frozen=True)
class Restarts:
    """How often the supervisor started a part again, and the last time and cause."""

    count: int
    last_at: float  # wall time (time.time())
    last_exit: str  # "SIGKILL", "exit code 1", or "unknown" for a process it did not start

    def to_dict(self) -> dict[str, Any]:
        """Returns the record as JSON-ready values."""
        return {"count": self.count, "last_at": self.last_at, "last_exit": self.last_exit}


@dataclass
class ClusterState:
    """The running cluster: spec, where its data lives, and every process started."""

    root: str
    run_dir: str
    os_user: str
    haproxy_bin: str
    python: str
    started_at: float
    spec: ClusterSpec
    processes: dict[ProcessRef, Launched] = field(default_factory=dict)
    killed: list[ProcessRef] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    stopped_at: float | None = None
    supervisor: Launched | None = None
    held: list[ProcessRef] = field(default_factory=list)  # stopped on purpose: left down
    restarts: dict[ProcessRef, Restarts] = field(default_factory=dict)
    # App instance name -> the build it runs ({"id", "python"}); absent: the code the
    # cluster was started with (``python``). Written by releases (operations/release).
    app_builds: dict[str, dict[str, str]] = field(default_factory=dict)
    # The supervisor's backups (``backup.schedule.BackupSchedule.to_dict`` and
    # ``check_every``, in seconds); empty: none scheduled.
    backup_schedule: dict[str, float] = field(default_factory=dict)
    # A second site's promotion policy (``dr.site.DrPolicy.to_dict``); empty: not one.
    dr_policy: dict[str, float] = field(default_factory=dict)

    def app_python(self, name: str) -> str:
        """Returns the Python that runs app instance `name` (its build's, or the cluster's)."""
        build = self.app_builds.get(name)
        return build["python"] if build else self.python

    def record(self, ref: ProcessRef, launched: Launched) -> None:
        """Remembers a process just started under `ref`; it is no longer 'killed'."""
        self.processes[ref] = launched
        self.forget_killed(ref)

    def mark_killed(self, ref: ProcessRef) -> None:
        """Remembers that a fault stopped `ref` (until it is started again)."""
        if ref not in self.killed:
            self.killed.append(ref)

    def forget_killed(self, *refs: ProcessRef) -> None:
        """Forgets that `refs` were killed (they run again)."""
        self.killed = [k for k in self.killed if k not in refs]

    def hold(self, ref: ProcessRef) -> None:
        """Marks `ref` as down on purpose: the supervisor leaves it stopped."""
        if ref not in self.held:
            self.held.append(ref)

    def release(self, ref: ProcessRef) -> None:
        """Clears the hold on `ref`: the supervisor starts it again if it is down."""
        self.held = [h for h in self.held if h != ref]

    def count_restart(self, ref: ProcessRef, *, at: float, exit: str) -> Restarts:
        """Adds one restart of `ref` by the supervisor; returns the new record."""
        before = self.restarts.get(ref)
        record = Restarts((before.count if before else 0) + 1, at, exit)
        self.restarts[ref] = record
        return record

    def to_dict(self) -> dict[str, Any]:
        """Returns the state as JSON-ready values, in the version 1 layout."""
        data: dict[str, Any] = {
            "version": STATE_VERSION,
            "root": self.root,
            "run_dir": self.run_dir,
            "os_user": self.os_user,
            "haproxy_bin": self.haproxy_bin,
            "python": self.python,
            "started_at": self.started_at,
            "spec": self.spec.to_dict(),
            "processes": {str(ref): _launched(item) for ref, item in self.processes.items()},
            "killed": [str(ref) for ref in self.killed],
            "timings": self.timings,
        }
        if self.stopped_at is not None:
            data["stopped_at"] = self.stopped_at
        if self.supervisor is not None:
            data["supervisor"] = _launched(self.supervisor)
        if self.held:
            data["held"] = [str(ref) for ref in self.held]
        if self.restarts:
            data["restarts"] = {str(ref): r.to_dict() for ref, r in self.restarts.items()}
        if self.app_builds:  # copies: ``StateStore.update`` compares against this
            data["app_builds"] = {name: dict(b) for name, b in self.app_builds.items()}
        if self.backup_schedule:
            data["backup_schedule"] = dict(self.backup_schedule)
        if self.dr_policy:
            data["dr_policy"] = dict(self.dr_policy)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterState:
        """Rebuilds the state saved by ``to_dict`` (or by a version 1 launcher)."""
        processes = {
            ProcessRef.parse(key): _parse_launched(raw)
            for key, raw in data.get("processes", {}).items()
        }
        stopped_at = data.get("stopped_at")
        supervisor = data.get("supervisor")
        restarts = {
            ProcessRef.parse(key): Restarts(
                int(raw["count"]), float(raw["last_at"]), str(raw["last_exit"])
            )
            for key, raw in data.get("restarts", {}).items()
        }
        return cls(
            root=str(data["root"]),
            run_dir=str(data["run_dir"]),
            os_user=str(data["os_user"]),
            haproxy_bin=str(data["haproxy_bin"]),
            python=str(data["python"]),
            started_at=float(data["started_at"]),
            spec=ClusterSpec.from_dict(data["spec"]),
            processes=processes,
            killed=[ProcessRef.parse(k) for k in data.get("killed", [])],
            timings={str(k): float(v) for k, v in data.get("timings", {}).items()},
            stopped_at=float(stopped_at) if stopped_at is not None else None,
            supervisor=_parse_launched(supervisor) if supervisor is not None else None,
            held=[ProcessRef.parse(k) for k in data.get("held", [])],
            restarts=restarts,
            app_builds={
                str(name): {str(k): str(v) for k, v in build.items()}
                for name, build in data.get("app_builds", {}).items()
            },
            backup_schedule={str(k): float(v) for k, v in data.get("backup_schedule", {}).items()},
            dr_policy={str(k): float(v) for k, v in data.get("dr_policy", {}).items()},
        )

    def save(self, path: Path) -> None:
        """Writes the state to `path` atomically (a reader never sees half a file)."""
        # One temporary name per writer: two processes never write into the same file.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> ClusterState | None:
        """Returns the state in `path`, or None if there is none or it cannot be read."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls.from_dict(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None


def _launched(item: Launched) -> dict[str, Any]:
    return {"name": item.name, "pid": item.pid, "argv": list(item.argv), "log": item.log}


def _parse_launched(raw: dict[str, Any]) -> Launched:
    return Launched(str(raw["name"]), int(raw["pid"]), tuple(raw["argv"]), str(raw["log"]))


class StateStore:
    """``state.json`` shared by several processes: locked read-modify-write, atomic saves."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name("state.lock")

    def read(self) -> ClusterState | None:
        """Returns the state as last saved (no lock needed: saves are atomic), or None."""
        return ClusterState.load(self.path)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Holds the exclusive lock: no other process changes the state meanwhile."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def update(self) -> Iterator[ClusterState | None]:
        """Yields the state read under the lock; saves it if it was changed (and exists).

        The caller changes the yielded object in place; nothing is saved if it raises.
        """
        with self.locked():
            state = self.read()
            before = state.to_dict() if state is not None else None
            yield state
            if state is not None and state.to_dict() != before:
                state.save(self.path)
