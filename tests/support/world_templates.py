"""The test registry built once per backend; each ``world`` starts from a copy of it.

Migrating a database and loading the 400-resident test registry costs 0.6-1 s, and about
450 tests (sqlite and postgres) each want exactly that state: the migrations and
``generate_registry`` (one seed, one day) are deterministic, and nothing else writes to
the database before a test starts. So the first ``world`` of a backend builds it once,
and every ``world`` gets its own copy in its own, empty database: SQLite's online backup
of the file, or PostgreSQL's ``CREATE DATABASE ... TEMPLATE``. Each test still owns its
database, and writes in one are never seen by another.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from minwon.operations.local_postgres import LocalPostgres
from support.world import build_world


class WorldTemplates:
    """Builds the registry on first use per backend (with the session's keys) and copies
    it into a test's empty database."""

    def __init__(self, *, keys_dir: Path, work_dir: Path, clock: Any) -> None:
        self.keys_dir = keys_dir
        self.work_dir = work_dir
        self.clock = clock
        self._sqlite: Path | None = None
        self._postgres: str | None = None  # the template database's name

    def _build(self, database_url: str, name: str) -> None:
        data_dir = self.work_dir / name
        data_dir.mkdir(parents=True)
        world = build_world(
            database_url=database_url, keys_dir=self.keys_dir, data_dir=data_dir, clock=self.clock
        )
        world.container.close()  # no connection left open on the template

    def copy_into(self, database_url: str, server: LocalPostgres | None) -> None:
        """Fills the empty database at `database_url` with the registry; `server` is the
        session's PostgreSQL for a ``postgresql`` URL."""
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite":
            self._copy_sqlite(Path(str(url.database)))
            return
        if server is None:
            raise ValueError(f"a PostgreSQL world needs the session's server: {url}")
        self._copy_postgres(server, str(url.database))

    def _copy_sqlite(self, target: Path) -> None:
        if self._sqlite is None:
            template = self.work_dir / "sqlite" / "minwon.sqlite3"
            self._build(f"sqlite:///{template}", "sqlite")
            self._sqlite = template
        source = sqlite3.connect(self._sqlite)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()

    def _copy_postgres(self, server: LocalPostgres, name: str) -> None:
        admin = create_engine(server.url_string, isolation_level="AUTOCOMMIT")
        try:
            if self._postgres is None:
                template = f"world_{uuid.uuid4().hex[:12]}"
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{template}"'))
                url = server.url.set(database=template).render_as_string(hide_password=False)
                self._build(url, "postgres")
                with admin.connect() as conn:
                    # Nobody (autovacuum included) connects to it any more: a copy
                    # refuses to start while someone is in its template.
                    conn.execute(
                        text(
                            f'ALTER DATABASE "{template}" IS_TEMPLATE true ALLOW_CONNECTIONS false'
                        )
                    )
                self._postgres = template
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}"'))
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self._postgres}"'))
        finally:
            admin.dispose()
