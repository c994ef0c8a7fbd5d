"""A unit-of-work factory whose process "dies" at a chosen commit.

The real unit of work on the real database; at the ``die_on``-th commit (counted across
every unit of work it made) it raises ``WorkerKilled`` (a BaseException, as a SIGKILL is
not an error anyone handles) before or after the commit lands. Whatever the worker held
stays as a dead process leaves it: claimed rows with their leases, an SMTP conversation
cut off. Nothing is patched.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from minwon.adapters.unit_of_work import UnitOfWork, UnitOfWorkFactory


class WorkerKilled(BaseException):
    """The worker process died here."""


class _DyingUnitOfWork:
    def __init__(self, real: UnitOfWork, factory: DyingUnitOfWorkFactory) -> None:
        self._real = real
        self._factory = factory

    def __enter__(self) -> _DyingUnitOfWork:
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
        return getattr(self._real, name)

    def commit(self) -> None:
        factory = self._factory
        factory.commits += 1
        if factory.commits == factory.die_on:
            if factory.after_commit:
                self._real.commit()
            raise WorkerKilled(f"commit {factory.commits}")
        self._real.commit()

    def rollback(self) -> None:
        self._real.rollback()


class DyingUnitOfWorkFactory:
    def __init__(self, real: UnitOfWorkFactory, *, die_on: int, after_commit: bool) -> None:
        self.real = real
        self.die_on = die_on
        self.after_commit = after_commit
        self.commits = 0

    def __call__(self, *, readonly: bool = False) -> _DyingUnitOfWork:
        return _DyingUnitOfWork(self.real(readonly=readonly), self)
