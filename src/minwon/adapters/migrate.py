"""Runs Alembic migrations programmatically (``minwon init`` and tests)."""

from __future__ import annotations

import functools
import sqlite3
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine.url import make_url


def alembic_config(url: str) -> Config:
    """Returns an Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(Path(str(resources.files("minwon.migrations")))))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def create_database(url: str) -> None:
    """Creates an empty SQLite file (and its folder) if there is none; PostgreSQL databases
    are created by their operator. The only place a database comes into being."""
    parsed = make_url(url)
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return
    if path.startswith("file:"):
        return
    file = Path(path)
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(file).close()


@functools.cache
def head_revision() -> str:
    """Returns the newest migration this code ships (what a ready database must be at)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None, "no migrations"
    return head


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Creates the database if needed, then brings its schema to ``revision`` inside one
    transaction (``minwon init``, demo data and tests)."""
    create_database(engine.url.render_as_string(hide_password=False))
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
