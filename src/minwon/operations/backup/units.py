"""The systemd units that take backups on real hosts: a service and a timer per kind.

Every database host gets them; each run first asks its own PostgreSQL whether it is the
primary (``ExecCondition``: a standby skips the run, it does not fail), so exactly one
host backs up, whichever is primary at the time. The calendar matches the local
launcher's default schedule: a full backup every night, a differential every hour.
"""

from __future__ import annotations

from dataclasses import dataclass

from minwon.operations.backup.config import ENV, command

CALENDAR = {"full": "*-*-* 01:30:00", "diff": "*-*-* *:15:00"}


@dataclass(frozen=True)
class BackupJob:
    """One kind of scheduled backup on one host, and how it reaches its PostgreSQL."""

    kind: str  # full or diff
    os_user: str
    pgbackrest: str
    config: str
    psql: str
    socket_dir: str
    port: int
    superuser: str

    @property
    def unit(self) -> str:
        """Returns the unit's name without suffix: ``minwon-backup-full``."""
        return f"minwon-backup-{self.kind}"

    @property
    def primary_check(self) -> str:
        """Returns a command that fails (and so skips the run) unless PostgreSQL here is
        the primary: on a standby the division by zero is an error, exit code 1."""
        sql = "SELECT 1 / (NOT pg_is_in_recovery())::int"
        return (
            f"{self.psql} -h {self.socket_dir} -p {self.port} -U {self.superuser} "
            f'-d postgres -XAtqc "{sql}"'
        )

    @property
    def exec_start(self) -> str:
        """Returns the backup command."""
        return " ".join(command(self.pgbackrest, self.config, f"--type={self.kind}", "backup"))


def service_unit(job: BackupJob) -> str:
    """Returns the text of the job's ``.service`` (one backup, as the database user)."""
    return ENV.get_template("minwon-backup.service.j2").render(job=job)


def timer_unit(job: BackupJob) -> str:
    """Returns the text of the job's ``.timer`` (its calendar, caught up after downtime)."""
    return ENV.get_template("minwon-backup.timer.j2").render(job=job, calendar=CALENDAR[job.kind])
