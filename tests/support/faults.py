"""A unit-of-work factory that loses the connection on chosen commits (a test double that
ships beside the real one: nothing is patched)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import OperationalError

from minwon.adapters.unit_of_work import UnitOfWork, UnitOfWorkFactory


class ConnectionLost(OperationalError):
    def __init__(self) -> None:
        super().__init__("COMMIT", {}, Exception("server closed the connection unexpectedly"))


class FlakyUnitOfWorkFactory(UnitOfWorkFactory):
    """Raises a connection error at the ``fail_on``-th commit, before or after it lands."""

    def __init__(self, real: UnitOfWorkFactory, *, fail_on: int, after_commit: bool) -> None:
        super().__init__(real.engine, real.vault)
        self.fail_on = fail_on
        self.after_commit = after_commit
        self.commits = 0

    def __call__(self, *, readonly: bool = False) -> UnitOfWork:
        uow = super().__call__(readonly=readonly)
        factory = self
        real_commit = uow.commit

        def commit(*_: Any) -> None:
            factory.commits += 1
            if factory.commits == factory.fail_on:
                if factory.after_commit:
                    real_commit()
                raise ConnectionLost()
            real_commit()

        uow.commit = commit  # type: ignore[method-assign]
        return uow
