"""A local cluster whose hosts are network namespaces, as a partition scenario sees it.

``PartitionedHosts`` is the real ``HostFaults``: it cuts a member's host off with
``HostNetwork.isolate`` and watches with two threads. ``RoleWatch`` asks every
member's PostgreSQL over its Unix socket (a file: no partition cuts it) whether it is in
recovery, ten times a second, over connections it keeps open. ``HostWriter`` sits on one
host (its thread inside that host's namespace, as a client on the same machine would
be) and commits one row after another straight to that host's PostgreSQL: synchronous
commit, no statement timeout, never cancelled, since a cancelled wait for the standby is
reported as a success (DESIGN.md) and would hide exactly what is checked here.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Sequence
from typing import Any

import psycopg

from minwon.operations.cluster.local import LocalCluster
from minwon.operations.network.hosts import HostNetwork
from minwon.operations.network.netns import Namespace
from minwon.operations.scenarios.split_brain import Commit, RoleSample

SAMPLE_SECONDS = 0.1
WRITE_PAUSE_SECONDS = 0.2  # after a failed attempt
WRITE_SPACING_SECONDS = 0.02  # after an acknowledged one: at most ~50 commits a second
TABLE = "minwon_partition_probe"  # in the app's database; written only by the writer


class RoleWatch:
    """Samples every member's ``pg_is_in_recovery()`` on a thread until ``stop``."""

    def __init__(self, targets: dict[str, dict[str, Any]]) -> None:
        self._targets = targets  # member -> psycopg.connect keyword arguments
        self._connections: dict[str, psycopg.Connection[Any]] = {}
        self._samples: list[RoleSample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="role-watch", daemon=True)
        self._thread.start()

    def _role(self, member: str) -> bool | None:
        try:
            conn = self._connections.get(member)
            if conn is None or conn.closed:
                conn = psycopg.connect(**self._targets[member], connect_timeout=1, autocommit=True)
                self._connections[member] = conn
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
            return None if row is None else not row[0]
        except psycopg.Error:
            self._forget(member)
            return None

    def _forget(self, member: str) -> None:
        conn = self._connections.pop(member, None)
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            roles = tuple((member, self._role(member)) for member in self._targets)
            with self._lock:
                self._samples.append(RoleSample(time.monotonic(), roles))
            self._stop.wait(SAMPLE_SECONDS)
        for member in list(self._connections):
            self._forget(member)

    def seen(self) -> list[RoleSample]:
        """Returns the samples so far."""
        with self._lock:
            return list(self._samples)

    def stop(self) -> list[RoleSample]:
        """Stops sampling; returns every sample."""
        self._stop.set()
        self._thread.join(5)
        return self.seen()


class HostWriter:
    """Commits rows to one host's PostgreSQL from inside that host, on a thread."""

    def __init__(self, netns: str, target: dict[str, Any]) -> None:
        self._netns = netns
        self._target = target
        self._commits: list[Commit] = []
        self._in_flight: float | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="host-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self._netns:
            Namespace(self._netns).enter_this_thread()
        conn: psycopg.Connection[Any] | None = None
        while not self._stop.is_set():
            began = time.monotonic()
            with self._lock:
                self._in_flight = began
            commit = Commit(began)
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(**self._target, connect_timeout=2)
                row = conn.execute(f"INSERT INTO {TABLE} DEFAULT VALUES RETURNING id").fetchone()
                conn.commit()  # returns once a standby has the row, or raises
                commit = Commit(began, time.monotonic(), int(row[0]) if row else None)
            except psycopg.Error:
                if conn is not None:
                    with contextlib.suppress(psycopg.Error):
                        conn.close()
                conn = None
            with self._lock:
                self._commits.append(commit)
                self._in_flight = None
            pause = WRITE_SPACING_SECONDS if commit.acknowledged else WRITE_PAUSE_SECONDS
            self._stop.wait(pause)
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def seen(self) -> list[Commit]:
        """Returns every attempt so far; one still waiting counts as unacknowledged."""
        with self._lock:
            waiting = [Commit(self._in_flight)] if self._in_flight is not None else []
            return [*self._commits, *waiting]

    def stop(self) -> list[Commit]:
        """Stops writing; returns every attempt (a commit still waiting is left waiting,
        never cancelled, and counted as not acknowledged)."""
        self._stop.set()
        self._thread.join(5)
        return self.seen()


class PartitionedHosts:
    """The ``HostFaults`` of a local cluster placed on a ``HostNetwork``."""

    def __init__(self, network: HostNetwork, cluster: LocalCluster) -> None:
        self.network = network
        self.cluster = cluster
        self._watchers: list[RoleWatch | HostWriter] = []

    def _netns(self, member: str) -> str:
        return self.cluster.spec.node(member).netns

    def _over_socket(self, member: str) -> dict[str, Any]:
        spec, node = self.cluster.spec, self.cluster.spec.node(member)
        return {
            "host": node.socket_dir,
            "port": node.pg_port,
            "user": spec.app_user,
            "password": self.cluster.credentials.app_password,
            "dbname": spec.app_database,
        }

    def isolate(self, member: str) -> None:
        """Drops every packet in and out of `member`'s host."""
        self.network.isolate(self._netns(member))

    def heal(self, member: str) -> None:
        """Lifts the partition of `member`'s host."""
        self.network.heal(self._netns(member))

    def watch_roles(self) -> RoleWatch:
        """Starts sampling every member's role over its Unix socket."""
        watch = RoleWatch({m: self._over_socket(m) for m in self.cluster.members()})
        self._watchers.append(watch)
        return watch

    def write_on_host(self, member: str) -> HostWriter:
        """Creates the writer's table (through the leader) and starts a writer on
        `member`'s host, over TCP to the host's own address."""
        with psycopg.connect(**self._over_socket(member), autocommit=True) as conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY)")
        node = self.cluster.spec.node(member)
        target = {**self._over_socket(member), "host": node.host}
        writer = HostWriter(node.netns, target)
        self._watchers.append(writer)
        return writer

    def rows_missing(self, member: str, rows: Sequence[int]) -> int:
        """Returns how many of `rows` `member`'s PostgreSQL does not have."""
        if not rows:
            return 0
        with psycopg.connect(**self._over_socket(member), connect_timeout=2) as conn:
            found = conn.execute(
                f"SELECT count(*) FROM {TABLE} WHERE id = ANY(%s)", (list(rows),)
            ).fetchone()
        return len(set(rows)) - (int(found[0]) if found else 0)

    def close(self) -> None:
        """Stops every watcher still running (a test's teardown, after a failure)."""
        for watcher in self._watchers:
            watcher.stop()
        self._watchers.clear()
