"""Starting a real throwaway PostgreSQL for tests, or skipping (failing in CI) without one."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from minwon.operations.local_postgres import (
    DEFAULT_OS_USER,
    LocalPostgres,
    PostgresNotFoundError,
    find_pg_bindir,
)
from minwon.operations.processes import MissingOsUserError, ensure_os_user


def _unavailable(reason: str) -> None:
    """Skips locally; fails in CI (CI=true), where a missing PostgreSQL is a broken runner."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unavailable ({reason}); in CI (CI=true) this is a failure")


def start_test_postgres(*, os_user: str = DEFAULT_OS_USER, keep: bool = False) -> LocalPostgres:
    """Returns a started LocalPostgres; skips the test (fails in CI) if it cannot run here."""
    try:
        bindir = find_pg_bindir()
        ensure_os_user(os_user)
    except (PostgresNotFoundError, MissingOsUserError) as exc:
        _unavailable(str(exc))
        raise  # unreachable: skip/fail raise
    if os.geteuid() != 0:
        _unavailable("must run as root to start the server as the unprivileged OS user")
    server = LocalPostgres(os_user=os_user, bindir=bindir, keep=keep)
    server.start()
    return server


def postgres_server() -> Iterator[LocalPostgres]:
    """Yields a started server and always stops it: the body of a pytest fixture."""
    server = start_test_postgres()
    try:
        yield server
    finally:
        server.stop()
