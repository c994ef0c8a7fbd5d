"""The recovery drill wired to the local cluster: its repository (through the primary's
pgBackRest), the live database (the app's own connection, through HAProxy), the drills'
record in that database, and scratch instances under ``<run>/drills/``.

The drill needs nothing of Patroni or etcd beyond finding the primary to ask the
repository: the scratch instance is a plain postmaster of the database user's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine

from minwon.adapters.drill_store import DrillStore
from minwon.operations.backup.drill import DrillError, DrillParts
from minwon.operations.backup.info import BackupRecord
from minwon.operations.backup.pgbackrest import BackupError, PgBackRest
from minwon.operations.backup.proof import SqlLedger
from minwon.operations.backup.scratch import ScratchPostgres, ScratchSettings
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.processes import ensure_os_user


class ClusterRepository:
    """The cluster's pgBackRest repository, through the primary's configuration."""

    def __init__(self, pgbackrest: PgBackRest) -> None:
        self.pgbackrest = pgbackrest

    def backups(self) -> Sequence[BackupRecord]:
        """Returns the repository's backups, oldest first."""
        try:
            return self.pgbackrest.info().backups
        except BackupError as exc:
            raise DrillError(exc.code, exc.detail) from exc

    def archive_now(self) -> None:
        """Switches WAL on the primary and waits until the segment is archived
        (``pgbackrest check``)."""
        try:
            self.pgbackrest.check()
        except BackupError as exc:
            raise DrillError("dr.archive", exc.detail) from exc


def scratch_settings(cluster: LocalCluster) -> ScratchSettings:
    """Returns where the cluster's drills restore and as whom they run."""
    spec = cluster.spec
    return ScratchSettings(
        base=Path(cluster.run_dir) / "drills",
        repo_path=spec.backup_repo,
        pg_bindir=spec.pg_bindir,
        pgbackrest_bin=spec.pgbackrest_bin,
        user=ensure_os_user(spec.db_os_user),
        superuser=spec.superuser,
        database=spec.app_database,
    )


@contextmanager
def drill_parts(cluster: LocalCluster) -> Iterator[DrillParts]:
    """Yields the real parts of a drill on `cluster`; closes its connections after."""
    try:
        repository = ClusterRepository(cluster.pgbackrest())
    except BackupError as exc:
        raise DrillError(exc.code, exc.detail) from exc
    engine = create_engine(cluster.database_url(), pool_pre_ping=True)
    settings = scratch_settings(cluster)
    try:
        yield DrillParts(
            repository=repository,
            live=SqlLedger(engine, live=True),
            journal=DrillStore(engine),
            scratch=lambda: ScratchPostgres(settings),
        )
    finally:
        engine.dispose()
