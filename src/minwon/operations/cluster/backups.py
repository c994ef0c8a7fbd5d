"""The local cluster's pgBackRest: which node's configuration a command runs with, and
the backups the supervisor takes on a schedule.

Backups are taken from the primary (the leader Patroni names), with that node's own
``pgbackrest.conf``; every node's names the same repository and lock folder, so two
backups never write the repository at once. The supervisor's ``ScheduledBackups`` asks
the repository every ``check_every`` whether a backup is due
(``backup/schedule.py``) and starts it as a child of its own, never two at once: a round
never waits for a backup.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from minwon.operations.backup.pgbackrest import BackupError, PgBackRest
from minwon.operations.backup.schedule import BackupSchedule
from minwon.operations.cluster.probes import fetch_cluster
from minwon.operations.cluster.spec import ClusterSpec
from minwon.operations.cluster.status import parse_members
from minwon.operations.processes import OsUser, stop_pid


def node_pgbackrest(spec: ClusterSpec, member: str, user: OsUser | None) -> PgBackRest:
    """Returns pgBackRest with `member`'s configuration, run as `user`."""
    node = spec.node(member)
    if not spec.backup_repo or not node.backup_config:
        raise BackupError(
            "backup.disabled",
            "이 클러스터에는 백업 저장소 설정이 없습니다 (백업 기능 이전에 띄운 클러스터). "
            "`minwon cluster down` 후 다시 띄우세요.",
        )
    return PgBackRest(node.backup_config, user, spec.pgbackrest_bin, cwd=node.node_dir)


def primary_member(spec: ClusterSpec) -> str:
    """Returns the leader's name; BackupError when no single leader answers."""
    leaders = [m.name for m in parse_members(fetch_cluster(spec) or {}) if m.is_leader]
    if len(leaders) != 1:
        raise BackupError(
            "backup.no_primary", f"백업할 프라이머리를 찾지 못했습니다 (리더: {leaders or '없음'})."
        )
    return leaders[0]


def primary_pgbackrest(spec: ClusterSpec, user: OsUser | None) -> PgBackRest:
    """Returns pgBackRest with the current primary's configuration."""
    return node_pgbackrest(spec, primary_member(spec), user)


class ScheduledBackups:
    """The supervisor's backups: a full one when none is newer than the schedule's
    `full_every`, a differential when none is newer than `diff_every`."""

    def __init__(
        self,
        schedule: BackupSchedule,
        *,
        log: Callable[[str], None],
        log_file: Path,
    ) -> None:
        self.schedule = schedule
        self.log = log
        self.log_file = log_file
        self.check_every = schedule.check_every.total_seconds()
        self._next_check = 0.0
        self._running: tuple[str, subprocess.Popen[bytes]] | None = None

    def tick(self, spec: ClusterSpec, user: OsUser | None) -> None:
        """Notes a finished backup; starts one when it is due. Never waits for one."""
        now = time.monotonic()
        if self._running is not None:
            kind, child = self._running
            code = child.poll()
            if code is None:
                return
            self._running = None
            outcome = "done" if code == 0 else f"FAILED (exit code {code}, see {self.log_file})"
            self.log(f"scheduled {kind} backup {outcome}")
            self._next_check = now  # look at the repository again at once
        if now < self._next_check:
            return
        self._next_check = now + self.check_every
        try:
            pgbackrest = primary_pgbackrest(spec, user)
            due = self.schedule.due(pgbackrest.info(), datetime.now(UTC))
            if due is None:
                return
            child = pgbackrest.start(f"--type={due}", "backup", log=self.log_file)
        except BackupError as exc:
            self.log(f"scheduled backup not started: {exc.code}: {exc.detail}")
            return
        self._running = (due, child)
        self.log(f"scheduled {due} backup started (pid {child.pid}, {pgbackrest.config})")

    def stop(self) -> None:
        """Stops a backup still running (by its PID); pgBackRest resumes or discards it
        at the next backup."""
        if self._running is not None:
            kind, child = self._running
            stop_pid(child.pid, timeout=10)
            child.wait(timeout=5)
            self.log(f"scheduled {kind} backup stopped (the supervisor stops)")
            self._running = None
