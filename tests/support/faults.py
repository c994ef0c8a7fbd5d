"""A unit-of-work factory that loses the connection on chosen commits.

A test double that ships beside the real one and wraps it: every store is the real one on
the real connection; only ``commit`` may raise the error a dropped connection raises, and
the real unit of work turns it into ``errors.Unavailable`` as it would in production.
Nothing is patched.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy.exc import OperationalError

from minwon.adapters.unit_of_work import UnitOfWork, UnitOfWorkFactory


class ConnectionLost(OperationalError):
    def __init__(self) -> None:
        super().__init__("COMMIT", {}, Exception("server closed the connection unexpectedly"))


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
            raise ConnectionLost()
        self._real.commit()

    def rollback(self) -> None:
        self._real.rollback()


class FlakyUnitOfWorkFactory:
    """Raises a connection error at the ``fail_on``-th commit, before or after it lands."""

    def __init__(self, real: UnitOfWorkFactory, *, fail_on: int, after_commit: bool) -> None:
        self.real = real
        self.fail_on = fail_on
        self.after_commit = after_commit
        self.commits = 0

    def __call__(self, *, readonly: bool = False) -> FlakyUnitOfWork:
        return FlakyUnitOfWork(self.real(readonly=readonly), self)
