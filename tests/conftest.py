"""Shared fixtures: keys made once per session, registries on SQLite and on a real
PostgreSQL that the session starts itself (as the unprivileged OS user) and stops; each
test's registry is a copy of one built once per backend (support/world_templates.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

from minwon.operations.local_postgres import LocalPostgres
from minwon.rendering.keys import init_keys
from support.postgres import start_test_postgres
from support.world import World, open_world
from support.world_templates import WorldTemplates

# Properties check correctness, benchmarks check speed: a shared 2-core machine under load
# must not fail a property because one example took over hypothesis's 200 ms. In CI the
# profile keeps hypothesis's own "ci" one under it (derandomized, no too_slow check).
settings.register_profile(
    "minwon",
    parent=settings.get_profile(settings._current_profile or "default"),
    deadline=None,
)
settings.load_profile("minwon")


class MovableClock:
    """Real time plus an offset the test can move (expiry, rate-limit windows)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys") / "keys"
    init_keys(directory)
    return directory


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LocalPostgres]:
    server = start_test_postgres()  # skips locally, fails when CI=true, if PostgreSQL is missing
    try:
        yield server
    finally:
        server.stop()


def fresh_postgres_url(server: LocalPostgres) -> str:
    """Creates an empty database on the session's server and returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.url_string, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database on the parametrised backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'minwon.sqlite3'}"
    server: LocalPostgres = request.getfixturevalue("postgres_server")
    return fresh_postgres_url(server)


@pytest.fixture(scope="session")
def world_templates(keys_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> WorldTemplates:
    return WorldTemplates(
        keys_dir=keys_dir, work_dir=tmp_path_factory.mktemp("world-templates"), clock=MovableClock()
    )


@pytest.fixture
def world(
    database_url: str,
    backend: str,
    keys_dir: Path,
    tmp_path: Path,
    world_templates: WorldTemplates,
    request: pytest.FixtureRequest,
) -> Iterator[World]:
    """A migrated database with a small synthetic registry and a wired container: this
    test's own copy of the registry built once per backend."""
    server = request.getfixturevalue("postgres_server") if backend == "postgres" else None
    world_templates.copy_into(database_url, server)
    w = open_world(
        database_url=database_url, keys_dir=keys_dir, data_dir=tmp_path, clock=MovableClock()
    )
    try:
        yield w
    finally:
        w.container.close()
