"""The cluster as status, the CLI and fault scenarios see it: one Protocol, two backends.

``LocalCluster`` (``local.py``) runs real etcd, Patroni, PostgreSQL, HAProxy and app
processes; ``FakeCluster`` (``fake.py``) is a small model of the same behaviour for fast
tests. Code that only observes the cluster or injects faults takes a ``ClusterBackend``.
"""

from __future__ import annotations

import signal
from typing import Protocol

from minwon.operations.cluster.faults import PauseTarget, ProcessRef
from minwon.operations.cluster.status import ClusterStatus


class ClusterBackend(Protocol):
    """What can be read from and done to a running cluster."""

    def status(self) -> ClusterStatus:
        """Returns a snapshot of every member, etcd, HAProxy path and app."""
        ...

    def wait_healthy(self, timeout: float) -> ClusterStatus:
        """Returns the status once healthy; raises ClusterError with the problems if not."""
        ...

    def leader(self) -> str:
        """Returns the current leader's name; raises ClusterError without exactly one."""
        ...

    def members(self) -> list[str]:
        """Returns the names of the configured PostgreSQL members."""
        ...

    def kill(self, process: ProcessRef, sig: int = signal.SIGKILL, *, hold: bool = False) -> None:
        """Sends `sig` to one process and remembers it as killed; a supervisor starts it
        again unless `hold` (a dead host) keeps it down until ``start``."""
        ...

    def start(self, process: ProcessRef) -> None:
        """Clears any hold and starts a stopped process again (a no-op while it runs)."""
        ...

    def pause(self, target: PauseTarget) -> list[int]:
        """Freezes part of a member with SIGSTOP (remembered until resumed); returns PIDs."""
        ...

    def resume(self, target: PauseTarget) -> list[int]:
        """Thaws what the pause of `target` froze (a no-op if it is not paused)."""
        ...

    def switchover(self, candidate: str | None = None) -> str:
        """Moves the leader role (to `candidate` if given); returns the new leader."""
        ...

    def app_urls(self) -> list[str]:
        """Returns the base URL of every app instance."""
        ...

    def balancer_urls(self) -> list[str]:
        """Returns the app instances' base URL through every HAProxy path."""
        ...

    def member_url(self, member: str) -> str:
        """Returns a database URL straight to `member`'s PostgreSQL, as the app user."""
        ...

    def database_url(self) -> str:
        """Returns the app's database URL (every load-balancer path, writable node only)."""
        ...
