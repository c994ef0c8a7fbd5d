"""What the launcher remembers about a started cluster: ``<root>/state.json``, typed.

The JSON layout is the one earlier launchers wrote (version 1), so a cluster started
before this module existed can still be inspected, changed and stopped.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minwon.operations.cluster.faults import ProcessRef
from minwon.operations.cluster.spec import ClusterSpec
from minwon.operations.cluster.supervise import Launched

STATE_VERSION = 1


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
            "processes": {
                str(ref): {
                    "name": launched.name,
                    "pid": launched.pid,
                    "argv": list(launched.argv),
                    "log": launched.log,
                }
                for ref, launched in self.processes.items()
            },
            "killed": [str(ref) for ref in self.killed],
            "timings": self.timings,
        }
        if self.stopped_at is not None:
            data["stopped_at"] = self.stopped_at
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterState:
        """Rebuilds the state saved by ``to_dict`` (or by a version 1 launcher)."""
        processes = {
            ProcessRef.parse(key): Launched(
                str(raw["name"]), int(raw["pid"]), tuple(raw["argv"]), str(raw["log"])
            )
            for key, raw in data.get("processes", {}).items()
        }
        stopped_at = data.get("stopped_at")
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
        )

    def save(self, path: Path) -> None:
        """Writes the state to `path` atomically (a reader never sees half a file)."""
        tmp = path.with_suffix(".tmp")
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
