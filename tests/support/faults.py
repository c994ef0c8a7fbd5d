"""Unit-of-work factories whose chosen commit fails: a lost connection, or a dead process.

Test doubles that wrap the real one: every store is the real one on the real connection;
only ``commit`` may raise, before or after the commit lands. A lost connection raises the
error a dropped connection raises (the real unit of work turns it into
``errors.Unavailable`` as in production); a dead worker raises ``WorkerKilled``, a
BaseException as a SIGKILL is not an error anyone handles, leaving whatever it held (claimed
rows with their leases) as a dead process leaves it. Nothing is patched.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy.exc import OperationalError

from minwon.adapters.unit_of_work import UnitOfWork, UnitOfWorkFactory


class ConnectionLost(OperationalError):
    def __init__(self) -> None:
        super().__init__("COMMIT", {}, Exception("server closed the connection unexpectedly"))


class WorkerKilled(BaseException):
    """The worker process died here."""


class FlakyUnitOfWork:
    """A real unit of work whose commit fails when its factory says so."""

    def __init__(self, real: UnitOfWork, factory: FlakyUnitOfWorkFactory) -> None:
        self._real = real
        self._factory = factory

    def __enter__(self) -> FlakyUnitOfWork:
        self._real.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._real.__exit__(exc_type, exc, tb)

    def __getattr__(self, name: str) -> Any:
        # The stores (registry, issuances, idempotency, audit, identity) and ping.
        return getattr(self._real, name)

    def commit(self) -> None:
        factory = self._factory
        factory.commits += 1
        if factory.commits == factory.fail_on:
            if factory.after_commit:
                self._real.commit()
            raise factory.failure()
        self._real.commit()

    def rollback(self) -> None:
        self._real.rollback()


class FlakyUnitOfWorkFactory:
    """Raises ``failure()`` at the ``fail_on``-th commit (counted across every unit of work
    it made), before or after it lands; by default a lost connection."""

    def __init__(
        self,
        real: UnitOfWorkFactory,
        *,
        fail_on: int,
        after_commit: bool,
        failure: Callable[[], BaseException] = ConnectionLost,
    ) -> None:
        self.real = real
        self.fail_on = fail_on
        self.after_commit = after_commit
        self.failure = failure
        self.commits = 0

    def __call__(self, *, readonly: bool = False) -> FlakyUnitOfWork:
        return FlakyUnitOfWork(self.real(readonly=readonly), self)


def dying(real: UnitOfWorkFactory, *, die_on: int, after_commit: bool) -> FlakyUnitOfWorkFactory:
    """A factory whose process "dies" (``WorkerKilled``) at the ``die_on``-th commit."""
    return FlakyUnitOfWorkFactory(
        real,
        fail_on=die_on,
        after_commit=after_commit,
        failure=lambda: WorkerKilled(f"commit {die_on}"),
    )
