"""Engines for SQLite (WAL, the embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine.url import make_url

WRITE_LOCK_WAIT = 30.0  # seconds a writer waits for SQLite's write lock


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """Returns an engine tuned for its backend; the same code runs on both.

    A SQLite file is opened, never created: only ``minwon init`` (``migrate.upgrade``)
    creates a database, so a missing file is an error and not a new empty registry.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        options: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if path and path != ":memory:" and not path.startswith("file:"):
            options = {"creator": lambda: open_existing(path)}
        engine = create_engine(
            url, echo=echo, pool_size=pool_size, max_overflow=pool_size, **options
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take it over so every writing
        # transaction starts with BEGIN IMMEDIATE and writers queue (busy_timeout) instead
        # of failing on a lock upgrade; read-only units of work use a plain BEGIN.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args: dict[str, Any] = {
        "connect_timeout": 2,  # libpq's least; a dead host answers 503 within ~2 s
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "application_name": "minwon",
    }
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=300,
        connect_args=connect_args,
    )


def open_existing(path: str) -> sqlite3.Connection:
    """Opens a SQLite file read-write; raises sqlite3.OperationalError if it is missing."""
    uri = f"file:{quote(str(Path(path).resolve()))}?mode=rw"
    return sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(WRITE_LOCK_WAIT * 1000)}")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    readonly = conn.get_execution_options().get("minwon_readonly", False)
    if readonly:
        conn.exec_driver_sql("BEGIN")
    else:
        _begin_immediate(conn.connection.dbapi_connection)


def _begin_immediate(raw: Any, *, wait: float = WRITE_LOCK_WAIT) -> None:
    """Takes SQLite's write lock, looking every 0.2-2 ms for up to ``wait`` seconds.

    SQLite's own busy handler sleeps 1, 2, 5, 10 … 100 ms between tries, so under steady
    load a writer that lost a few rounds sleeps 100 ms while the lock is free for most of
    it (two workers issuing: a p99 of 1.3 s and a quarter of the CPU idle). Short polls
    keep the lock in use instead.
    """
    raw.execute("PRAGMA busy_timeout=0")
    deadline = time.monotonic() + wait
    pause = 0.0002
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.002)
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")


def is_transient(exc: BaseException) -> bool:
    """Returns True for errors a retry on a fresh connection may cure: a lost or refused
    connection (failover, a restarted proxy), a server shutting down, a busy SQLite file.

    Not a missing table or column: on SQLite those are OperationalErrors too, and
    retrying them only made a request wait out its whole budget for nothing.
    """
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError):
        return False
    if isinstance(exc.orig, sqlite3.OperationalError):
        return not is_schema_missing(exc)
    return True  # psycopg's OperationalError is about the connection or the server


def is_schema_missing(exc: BaseException) -> bool:
    """Returns True when a statement failed because a table or column does not exist."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) in {"42P01", "42703"}:  # undefined table/column
        return True
    message = str(exc.orig).lower()
    return message.startswith(("no such table", "no such column"))
