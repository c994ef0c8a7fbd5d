"""Runs Alembic migrations programmatically (``minwon init``, ``minwon db``, tests), and
knows each revision's phase (expand or contract, adapters/schema_phases.py)."""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine.url import make_url


def packaged_scripts() -> str:
    """Returns the folder of the migrations this code ships."""
    return str(Path(str(resources.files("minwon.migrations"))))


def alembic_config(url: str, scripts: str | None = None) -> Config:
    """Returns an Alembic config pointing at the packaged migrations (or at `scripts`)."""
    config = Config()
    config.set_main_option("script_location", scripts or packaged_scripts())
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


def upgrade(engine: Engine, revision: str = "head", *, scripts: str | None = None) -> None:
    """Creates the database if needed, then brings its schema to ``revision`` inside one
    transaction (``minwon init``, demo data and tests)."""
    create_database(engine.url.render_as_string(hide_password=False))
    config = alembic_config(engine.url.render_as_string(hide_password=False), scripts)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@dataclass(frozen=True)
class Revision:
    """One migration: its id, the one before it, its declared phase and its first line."""

    revision: str
    down_revision: str | None
    phase: str | None
    doc: str

    def to_dict(self) -> dict[str, str | None]:
        return {"revision": self.revision, "phase": self.phase, "doc": self.doc}


def revisions(scripts: str | None = None) -> list[Revision]:
    """Returns the migrations (packaged, or in `scripts`), oldest first, each with the
    ``phase`` its module declares (None when it declares none)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://", scripts))
    found = []
    for rev in reversed(list(script.walk_revisions())):
        down = rev.down_revision
        if down is not None and not isinstance(down, str):
            raise ValueError(f"migration {rev.revision} merges branches: {down}")
        phase = getattr(rev.module, "phase", None)
        doc = (rev.doc or "").strip().splitlines()[0] if rev.doc else ""
        found.append(Revision(rev.revision, down, phase if isinstance(phase, str) else None, doc))
    return found


@functools.cache
def packaged_revisions() -> tuple[Revision, ...]:
    """This code's migrations, oldest first (read once)."""
    return tuple(revisions())


def pending(current: str | None, known: tuple[Revision, ...] | list[Revision]) -> list[Revision]:
    """Returns the revisions of `known` after `current` (all of them for an empty
    database; none when `current` is not one of them: a newer release's schema)."""
    ids = [r.revision for r in known]
    if current is None:
        return list(known)
    if current not in ids:
        return []
    return list(known)[ids.index(current) + 1 :]


def is_ahead(current: str | None, known: tuple[Revision, ...] | list[Revision]) -> bool:
    """True when the database is at a revision newer than every one of `known`: revision
    ids are sequential numbers (a unit test holds every migration to that)."""
    if current is None or not known or current in {r.revision for r in known}:
        return False
    head = known[-1].revision
    return current.isdigit() and head.isdigit() and int(current) > int(head)


def schema_usable(current: str | None) -> bool:
    """True when this code can serve on a database at `current`: its head; its head but
    for contract revisions (they wait until no older release serves, and the code that
    ships one runs before it too); or a newer release's schema, which under expand and
    contract still holds everything this code uses."""
    known = packaged_revisions()
    if current is None:
        return False
    if is_ahead(current, known):
        return True
    if current not in {r.revision for r in known}:
        return False
    return all(r.phase == "contract" for r in pending(current, known))


def upgrade_step_by_step(
    engine: Engine, targets: list[Revision], *, scripts: str | None = None
) -> list[str]:
    """Applies `targets` (pending revisions, oldest first) one transaction each, so one
    that fails leaves those before it applied; returns the revisions applied."""
    applied = []
    for target in targets:
        upgrade(engine, target.revision, scripts=scripts)
        applied.append(target.revision)
    return applied
