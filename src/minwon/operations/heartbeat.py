"""The heartbeat of one server process: how the others know it is alive.

Each ``minwon serve`` process renews its row in ``server_instances`` every ``interval``
seconds, alive until ``grace`` seconds later. A request in flight on a process that was
killed, hung (SIGSTOP, a stalled CPU) or lost with its host leaves a claim on its
idempotency key; once the process misses its beats for ``grace`` seconds, another
instance takes the claim over (issuance/services.py) instead of waiting the whole lease.
A clean shutdown retires the row, so its claims are free at once. After each beat that
reached the database the heartbeat runs its chores (freeing the claims of requests that
gave up while the database was away: issuance/claims.py).

Beats are written with the process's own clock: hosts must agree within a fraction of
``grace`` (NTP/chrony). A disagreement only makes a live instance's claim look free early,
and then the idempotency store lets exactly one of the two requests complete.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from minwon.errors import MinwonError
from minwon.storage import UnitOfWork

LOG = structlog.get_logger("minwon.heartbeat")

# A row not renewed for this long is deleted at the next start of any instance.
PRUNE_AFTER = timedelta(days=1)


class InstanceRows(Protocol):
    """The ``server_instances`` rows (adapters/instance_store.py)."""

    def beat(
        self, *, instance: str, host: str, pid: int, now: datetime, alive_until: datetime
    ) -> None: ...

    def retire(self, *, instance: str, now: datetime) -> None: ...

    def prune(self, *, before: datetime) -> int: ...


class HeartbeatUnitOfWork(UnitOfWork, Protocol):
    """One transaction that can renew an instance's row."""

    @property
    def instances(self) -> InstanceRows: ...


class HeartbeatUnitOfWorks(Protocol):
    def __call__(self) -> HeartbeatUnitOfWork: ...


class Heartbeat:
    """A daemon thread that renews this process's row until ``stop`` retires it."""

    def __init__(
        self,
        uows: HeartbeatUnitOfWorks,
        instance: str,
        now: Callable[[], datetime],
        *,
        interval: float,
        grace: float,
        chores: Sequence[Callable[[], object]] = (),
    ) -> None:
        if grace <= interval:
            raise ValueError("the grace period must be longer than the interval between beats")
        self.instance = instance
        self._uows, self._now = uows, now
        self._interval, self._grace = interval, timedelta(seconds=grace)
        self._chores = tuple(chores)  # run after each beat that reached the database
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self.beats = 0

    def start(self) -> Heartbeat:
        """Beats once (best effort), prunes long-dead rows, then beats on in the thread."""
        self._beat()
        self._prune()
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stops beating and retires the row: this process's claims are free at once."""
        self._stop.set()
        self._thread.join(timeout)
        try:
            with self._uows() as uow:
                uow.instances.retire(instance=self.instance, now=self._now())
                uow.commit()
        except MinwonError as exc:  # the database is away: the row lapses by itself
            LOG.warning("heartbeat.retire_failed", code=exc.code)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._beat()

    def _beat(self) -> None:
        now = self._now()
        try:
            with self._uows() as uow:
                uow.instances.beat(
                    instance=self.instance,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    now=now,
                    alive_until=now + self._grace,
                )
                uow.commit()
            self.beats += 1
        except MinwonError as exc:  # unavailable or not ready: the next beat tries again
            LOG.warning("heartbeat.missed", code=exc.code)
            return
        for chore in self._chores:
            try:
                chore()
            except MinwonError as exc:
                LOG.warning("heartbeat.chore_failed", code=exc.code)

    def _prune(self) -> None:
        try:
            with self._uows() as uow:
                uow.instances.prune(before=self._now() - PRUNE_AFTER)
                uow.commit()
        except MinwonError as exc:
            LOG.warning("heartbeat.prune_failed", code=exc.code)
