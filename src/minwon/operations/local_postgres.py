"""A throwaway PostgreSQL server on 127.0.0.1, run as an unprivileged OS user.

Used by integration tests and demos. PostgreSQL refuses to run as root, so initdb and the
postmaster run as ``minwon-db`` (created by ``scripts/setup-system.sh``). That user cannot
enter root's home or pytest's ``/tmp/pytest-of-root`` (mode 0700), so the server lives in
a fresh directory under ``/var/tmp`` (or ``MINWON_PG_BASE``), owned by that user and
removed on stop.

Authentication: ``peer`` on the Unix socket (inside the data directory) and
``scram-sha-256`` on TCP, with a random password for the superuser. A trust server would
let any local process, as any user, become superuser on a known port; the password costs
nothing and keeps the tests honest about the production connection path.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

from minwon.operations.processes import (
    OsUser,
    ensure_os_user,
    free_port,
    pid_alive,
    run_as,
    stop_pid,
)

DEFAULT_OS_USER = "minwon-db"
DEFAULT_BASE_DIR = Path("/var/tmp")
FALLBACK_BINDIR = Path("/usr/lib/postgresql/15/bin")
HOST = "127.0.0.1"


class PostgresNotFoundError(RuntimeError):
    """No PostgreSQL server binaries (initdb, postgres) were found."""


class PostgresStartError(RuntimeError):
    """The server did not start; the message carries the end of its log."""


def find_pg_bindir() -> Path:
    """Returns the directory holding initdb and postgres.

    Order: ``MINWON_PG_BINDIR``, Debian's PostgreSQL 15, ``pg_config --bindir``, then the
    newest ``/usr/lib/postgresql/*/bin``.
    """
    override = os.environ.get("MINWON_PG_BINDIR")
    if override:
        path = Path(override)
        if not _has_server(path):
            raise PostgresNotFoundError(f"MINWON_PG_BINDIR={override} holds no initdb/postgres")
        return path
    candidates = [FALLBACK_BINDIR]
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            candidates.append(Path(out.stdout.strip()))
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for path in candidates:
        if _has_server(path):
            return path
    raise PostgresNotFoundError(
        "PostgreSQL server binaries not found; install postgresql-15 "
        "(bash scripts/setup-system.sh) or set MINWON_PG_BINDIR"
    )


def _has_server(path: Path) -> bool:
    return all(os.access(path / name, os.X_OK) for name in ("initdb", "postgres"))


class LocalPostgres:
    """One PostgreSQL server on 127.0.0.1 at a free port, owned by this object.

    ``start()`` returns a SQLAlchemy URL for database ``minwon``; ``stop()`` fast-shuts the
    postmaster by PID (SIGINT, then SIGKILL) and removes its directory unless ``keep``.
    Usable as a context manager; stop is idempotent and also registered with ``atexit``.
    """

    def __init__(
        self,
        *,
        os_user: str = DEFAULT_OS_USER,
        db_user: str = "minwon",
        database: str = "minwon",
        base_dir: Path | None = None,
        bindir: Path | None = None,
        keep: bool = False,
        start_timeout: float = 60.0,
        stop_timeout: float = 30.0,
    ) -> None:
        self.os_user = os_user
        self.db_user = db_user
        self.database = database
        env_base = os.environ.get("MINWON_PG_BASE")
        self.base_dir = base_dir or (Path(env_base) if env_base else DEFAULT_BASE_DIR)
        self.bindir = bindir
        self.keep = keep
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.run_dir: Path | None = None
        self.port: int | None = None
        self.pid: int | None = None
        self._password = secrets.token_urlsafe(24)
        self._process: subprocess.Popen[bytes] | None = None
        self._atexit_registered = False

    # -- public API -------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        """Returns the cluster's data directory (also holds the Unix socket)."""
        return self._require_run_dir() / "data"

    @property
    def log_file(self) -> Path:
        """Returns the server's log file (outside the data directory)."""
        return self._require_run_dir() / "postgres.log"

    @property
    def url(self) -> URL:
        """Returns the SQLAlchemy URL of the ``minwon`` database (password included)."""
        if self.port is None:
            raise RuntimeError("LocalPostgres is not started")
        return URL.create(
            "postgresql+psycopg",
            username=self.db_user,
            password=self._password,
            host=HOST,
            port=self.port,
            database=self.database,
        )

    @property
    def url_string(self) -> str:
        """Returns `url` as text with the password (``str(url)`` masks it)."""
        return self.url.render_as_string(hide_password=False)

    @property
    def running(self) -> bool:
        """Returns True while the postmaster we started is alive."""
        return self.pid is not None and pid_alive(self.pid)

    def start(self) -> URL:
        """Initialises, starts and prepares the server; returns the URL of its database."""
        if self.pid is not None:
            raise RuntimeError(f"{self!r} is already started")
        user = ensure_os_user(self.os_user)
        bindir = self.bindir or find_pg_bindir()
        self.bindir = bindir
        self._register_atexit()
        try:
            self._make_run_dir(user)
            self._initdb(bindir, user)
            self._launch(bindir, user)
            self._create_database()
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        """Fast-shuts the postmaster by PID, escalating to SIGKILL; removes its files."""
        self.stop_server_only()
        if self.run_dir is not None and not self.keep:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None
        if self._atexit_registered:
            atexit.unregister(self.stop)
            self._atexit_registered = False

    def __enter__(self) -> LocalPostgres:
        if self.pid is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return (
            f"LocalPostgres(os_user={self.os_user!r}, db_user={self.db_user!r}, "
            f"host={HOST!r}, port={self.port}, pid={self.pid}, run_dir={self.run_dir!s})"
        )

    # -- steps ------------------------------------------------------------------------

    def _require_run_dir(self) -> Path:
        if self.run_dir is None:
            raise RuntimeError("LocalPostgres has no directory (not started, or stopped)")
        return self.run_dir

    def _register_atexit(self) -> None:
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True

    def _make_run_dir(self, user: OsUser) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir = Path(tempfile.mkdtemp(prefix="minwon-pg-", dir=self.base_dir))
        os.chown(self.run_dir, user.uid, user.gid)
        os.chmod(self.run_dir, 0o700)
        _check_traversable(self.run_dir, user)

    def _initdb(self, bindir: Path, user: OsUser) -> None:
        run_dir = self._require_run_dir()
        pwfile = run_dir / "pwfile"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(self._password + "\n")
        os.chown(pwfile, user.uid, user.gid)
        try:
            self._run_as_user(
                [
                    str(bindir / "initdb"),
                    f"--pgdata={self.data_dir}",
                    f"--username={self.db_user}",
                    f"--pwfile={pwfile}",
                    "--auth-local=peer",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-instructions",
                ],
                user,
                what="initdb",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        # Settings that change between attempts (the port) live in an included file.
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as f:
            f.write("\n# Minwon LocalPostgres\ninclude = 'minwon.conf'\n")

    def _write_settings(self, user: OsUser, port: int) -> None:
        settings = {
            "listen_addresses": HOST,
            "port": str(port),
            "unix_socket_directories": str(self.data_dir),
            "fsync": "on",
            "shared_buffers": "128MB",
            "max_connections": "100",
            "logging_collector": "off",
        }
        text = "".join(
            f"{key} = {value}\n" if value.isdigit() or value == "on" else f"{key} = '{value}'\n"
            for key, value in settings.items()
        )
        path = self.data_dir / "minwon.conf"
        path.write_text(text, encoding="utf-8")
        os.chown(path, user.uid, user.gid)
        os.chmod(path, 0o600)

    def _launch(self, bindir: Path, user: OsUser, attempts: int = 3) -> None:
        """Runs the postmaster as our child, retrying on a port lost to a race."""
        for attempt in range(1, attempts + 1):
            port = free_port(HOST)
            self._write_settings(user, port)
            with open(self.log_file, "ab") as log:
                self._process = subprocess.Popen(
                    [str(bindir / "postgres"), "-D", str(self.data_dir)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self._require_run_dir(),
                    start_new_session=True,  # a terminal's Ctrl-C reaches us, not the server
                    **run_as(user),
                )
            self.pid = self._process.pid
            self.port = port
            if self._wait_ready():
                return
            log_tail = self._log_tail()
            self.stop_server_only()
            if "could not bind" not in log_tail or attempt == attempts:
                raise PostgresStartError(f"postgres did not start:\n{log_tail}")

    def stop_server_only(self) -> None:
        """Stops the postmaster but keeps its directory (for a restart or inspection)."""
        if self.pid is not None:
            # SIGINT is PostgreSQL's "fast" shutdown: roll back sessions, checkpoint, exit.
            stop_pid(self.pid, timeout=self.stop_timeout, sig=signal.SIGINT)
            self.pid = None
        if self._process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=1)  # already reaped by stop_pid: returns at once
            self._process = None

    def _wait_ready(self) -> bool:
        """Waits for postmaster.pid to say "ready" for our PID; False if it died."""
        pidfile = self.data_dir / "postmaster.pid"
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            with contextlib.suppress(OSError, UnicodeDecodeError):
                lines = pidfile.read_text(encoding="utf-8").splitlines()
                # Line 1 is the postmaster PID, line 8 its status (PostgreSQL >= 10).
                if (
                    len(lines) >= 8
                    and lines[0].strip() == str(self.pid)
                    and lines[7].strip() == "ready"
                ):
                    return True
            time.sleep(0.05)
        raise PostgresStartError(
            f"postgres not ready within {self.start_timeout} s:\n{self._log_tail()}"
        )

    def _create_database(self) -> None:
        assert self.port is not None
        with psycopg.connect(
            host=HOST,
            port=self.port,
            user=self.db_user,
            password=self._password,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        ) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))

    def _run_as_user(self, argv: list[str], user: OsUser, *, what: str) -> None:
        result = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            cwd=self._require_run_dir(),  # initdb fails if it cannot stat its cwd
            timeout=self.start_timeout,
            check=False,
            **run_as(user),
        )
        if result.returncode != 0:
            raise PostgresStartError(
                f"{what} failed with exit code {result.returncode}:\n"
                f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
            )

    def _log_tail(self, limit: int = 4000) -> str:
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")[-limit:]
        except (OSError, RuntimeError):
            return "(no log)"


def _check_traversable(path: Path, user: OsUser) -> None:
    """Raises PermissionError if `user` cannot reach `path` (e.g. under /root)."""
    for parent in reversed(path.parents):
        st = parent.stat()
        if st.st_uid == user.uid:
            allowed = bool(st.st_mode & 0o100)
        elif st.st_gid in user.groups:
            allowed = bool(st.st_mode & 0o010)
        else:
            allowed = bool(st.st_mode & 0o001)
        if not allowed:
            raise PermissionError(
                f"OS user {user.name!r} cannot traverse {parent}; choose a base directory it "
                f"can reach (MINWON_PG_BASE, default {DEFAULT_BASE_DIR})"
            )
