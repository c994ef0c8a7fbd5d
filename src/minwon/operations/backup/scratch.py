"""The drill's scratch instance: a restore by the real pgBackRest into a folder of its
own, and a PostgreSQL started on it that replays to TIME and is promoted.

Everything the production configuration would make it do to others is switched off:
pgBackRest restores with ``--archive-mode=off`` and the postmaster's command line (which
wins over every configuration file Patroni left in the data directory) sets
``archive_mode=off``, no synchronous standbys, no upstream, its own ``restore_command``
(``archive-get`` only, synchronous, with a pgbackrest.conf whose spool, lock and log folders are the
scratch folder's, so it touches nothing of a live node), its own ``pg_hba.conf``, no TCP
listener (``listen_addresses=''``) and a Unix socket in its own 0700 folder: only the
database user and root can reach it, so it trusts them. It never talks to Patroni or
etcd. Leaving the ``with`` block stops the postmaster by its PID (SIGQUIT: the copy is
thrown away, so no shutdown checkpoint) and removes the folder, whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL

from minwon.operations.backup.config import NodeBackupConfig, command, render_conf
from minwon.operations.backup.drill import DrillError
from minwon.operations.backup.pgbackrest import BackupError, PgBackRest
from minwon.operations.backup.proof import SqlLedger
from minwon.operations.processes import OsUser, free_port, pid_alive, run_as, stop_pid

HBA = "# the drill's scratch instance: a 0700 socket folder, no TCP\nlocal all all trust\n"


@dataclass(frozen=True)
class ScratchSettings:
    """Where and how the scratch instance runs."""

    base: Path  # a folder the database user can reach; the scratch folder goes inside
    repo_path: str
    pg_bindir: str
    pgbackrest_bin: str
    user: OsUser
    superuser: str
    database: str
    restore_timeout: float = 1800
    replay_timeout: float = 1800
    process_max: int = 2


def target_text(target: datetime) -> str:
    """Returns TIME as recovery_target_time reads it (UTC, microseconds)."""
    return target.astimezone(UTC).isoformat(sep=" ", timespec="microseconds")


def server_settings(folder: Path, port: int, restore: str, target: datetime) -> dict[str, str]:
    """Returns the postmaster's command-line settings (they override postgresql.conf,
    postgresql.auto.conf and whatever Patroni wrote there)."""
    return {
        "port": str(port),
        "listen_addresses": "",
        "unix_socket_directories": str(folder / "socket"),
        "hba_file": str(folder / "pg_hba.conf"),
        "ident_file": str(folder / "pg_ident.conf"),
        "archive_mode": "off",
        "archive_command": "",
        "synchronous_standby_names": "",
        "primary_conninfo": "",
        "primary_slot_name": "",
        "hot_standby": "off",  # no connections before promotion: "ready" means promoted
        "restore_command": restore,
        "recovery_target_time": target_text(target),
        "recovery_target_inclusive": "on",
        "recovery_target_timeline": "latest",
        "recovery_target_action": "promote",
        "cluster_name": "minwon-drill",
        "logging_collector": "off",
    }


def drill_restore_command(pgbackrest: str, config: Path) -> str:
    """Returns the scratch instance's ``restore_command``: ``archive-get`` one segment at
    a time (no asynchronous prefetch: that would leave a detached pgBackRest process
    behind the drill)."""
    argv = command(pgbackrest, str(config), "--no-archive-async", "archive-get", "%f", '"%p"')
    return " ".join(argv)


def postmaster_argv(bindir: str, data: Path, settings: dict[str, str]) -> list[str]:
    """Returns the postmaster's argv: ``postgres -D DATA -c name=value ...``."""
    argv = [str(Path(bindir) / "postgres"), "-D", str(data)]
    for name, value in settings.items():
        argv += ["-c", f"{name}={value}"]
    return argv


class ScratchPostgres:
    """One drill's restore and instance; a context manager that always cleans up."""

    def __init__(self, settings: ScratchSettings) -> None:
        self.settings = settings
        self.folder: Path | None = None
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._engine: Engine | None = None

    def __enter__(self) -> ScratchPostgres:
        user = self.settings.user
        self.settings.base.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix="minwon-drill-", dir=self.settings.base))
        try:
            for sub in ("", "data", "socket", "spool", "lock", "log"):
                path = self.folder / sub
                path.mkdir(mode=0o700, exist_ok=True)
                if os.geteuid() == 0:
                    os.chown(path, user.uid, user.gid)
                os.chmod(path, 0o700)
            self.port = free_port()  # names the socket file only: nothing listens on TCP
            self._write(self.folder / "pg_hba.conf", HBA)
            self._write(self.folder / "pg_ident.conf", "")
            self._write(self.folder / "pgbackrest.conf", render_conf(self._backup_config()))
        except BaseException:
            self._discard()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._discard()

    # -- the two steps ------------------------------------------------------------------

    def restore(self, *, label: str, target: datetime) -> None:
        """Restores backup `label` into the scratch data folder, to recover to `target`."""
        try:
            self._pgbackrest().run(
                f"--set={label}",
                "--type=time",
                f"--target={target_text(target)}",
                "--target-action=promote",
                "--archive-mode=off",
                "restore",
                code="dr.restore",
                what=f"백업 {label} 복원",
                timeout=self.settings.restore_timeout,
            )
        except BackupError as exc:
            code = exc.code if exc.code == "backup.missing" else "dr.restore"
            raise DrillError(code, exc.detail) from exc

    def replay(self, *, target: datetime) -> SqlLedger:
        """Starts the postmaster; returns the restored ledger once recovery stopped at
        `target` and the instance was promoted."""
        folder = self._folder()
        restore = drill_restore_command(self.settings.pgbackrest_bin, folder / "pgbackrest.conf")
        argv = postmaster_argv(
            self.settings.pg_bindir,
            folder / "data",
            server_settings(folder, self.port, restore, target),
        )
        with open(folder / "log" / "postgres.log", "ab") as log:
            self._process = subprocess.Popen(
                argv,
                cwd=folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **run_as(self.settings.user),
            )
        self._wait_promoted()
        self._engine = create_engine(self.url(), pool_pre_ping=False)
        return SqlLedger(self._engine, live=False)

    @property
    def pid(self) -> int | None:
        """Returns the scratch postmaster's PID while it runs (None before or after)."""
        return self._process.pid if self._process is not None else None

    def url(self) -> URL:
        """Returns the scratch database's URL (over its Unix socket)."""
        return URL.create(
            "postgresql+psycopg",
            username=self.settings.superuser,
            database=self.settings.database,
            query={"host": str(self._folder() / "socket"), "port": str(self.port)},
        )

    def log_tail(self, limit: int = 1500) -> str:
        """Returns the end of the scratch postmaster's log (its FATAL lines first)."""
        try:
            text = (self._folder() / "log" / "postgres.log").read_text(errors="replace")
        except OSError:
            return "(로그 없음)"
        fatal = [line for line in text.splitlines() if "FATAL" in line or "PANIC" in line]
        return ("\n".join(fatal) + "\n" if fatal else "") + text[-limit:]

    # -- helpers ------------------------------------------------------------------------

    def _wait_promoted(self) -> None:
        pidfile = self._folder() / "data" / "postmaster.pid"
        deadline = time.monotonic() + self.settings.replay_timeout
        process = self._process
        assert process is not None
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise DrillError(
                    "dr.replay",
                    f"복구 중 PostgreSQL이 끝났습니다 (종료 코드 {process.returncode}): "
                    f"{self.log_tail(600)}",
                )
            with contextlib.suppress(OSError, UnicodeDecodeError):
                lines = pidfile.read_text(encoding="utf-8").splitlines()
                ours = len(lines) >= 8 and lines[0].strip() == str(process.pid)
                if ours and lines[7].strip() == "ready":
                    return
            time.sleep(0.05)
        raise DrillError(
            "dr.replay",
            f"{self.settings.replay_timeout:.0f}초 안에 복구가 끝나지 않았습니다: "
            f"{self.log_tail(600)}",
        )

    def _backup_config(self) -> NodeBackupConfig:
        folder = self._folder()
        return NodeBackupConfig(
            path=str(folder / "pgbackrest.conf"),
            repo_path=self.settings.repo_path,
            lock_path=str(folder / "lock"),
            spool_path=str(folder / "spool"),
            log_path=str(folder / "log"),
            pg_path=str(folder / "data"),
            pg_port=self.port,
            pg_socket_path=str(folder / "socket"),
            pg_user=self.settings.superuser,
            process_max=self.settings.process_max,
        )

    def _pgbackrest(self) -> PgBackRest:
        folder = self._folder()
        return PgBackRest(
            str(folder / "pgbackrest.conf"),
            self.settings.user,
            self.settings.pgbackrest_bin,
            cwd=str(folder),
        )

    def _folder(self) -> Path:
        if self.folder is None:
            raise RuntimeError("the scratch instance is not prepared (use it in a with block)")
        return self.folder

    def _write(self, path: Path, text: str) -> None:
        path.write_text(text, encoding="utf-8")
        if os.geteuid() == 0:
            os.chown(path, self.settings.user.uid, self.settings.user.gid)
        os.chmod(path, 0o600)

    def _discard(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self._process is not None:
            if pid_alive(self._process.pid):
                stop_pid(self._process.pid, timeout=10, sig=signal.SIGQUIT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=5)
            self._process = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
