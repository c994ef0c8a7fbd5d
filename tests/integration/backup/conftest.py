"""One real cluster for every backup test (backups, verification, recovery drills): its
start costs more than the tests that use it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from minwon.operations.backup.schedule import BackupSchedule
from minwon.operations.clock import wait_until
from minwon.operations.cluster.local import LocalCluster
from support.backup_cluster import listed, minwon
from support.binaries import require_binaries, require_root

# A full backup when none is newer than a day, asked about every second: one right
# after `up`, none afterwards while the test runs its own.
SCHEDULE = BackupSchedule(
    full_every=timedelta(hours=24), diff_every=timedelta(hours=24), check_every=timedelta(seconds=1)
)


@pytest.fixture(scope="package")
def cluster() -> Iterator[LocalCluster]:
    require_binaries("etcd", "haproxy", "patroni", "postgres", "pgbackrest")
    require_root("database processes as minwon-db")
    root = Path(tempfile.mkdtemp(prefix="minwon-backup-", dir="/var/tmp"))
    local = LocalCluster(root, apps=1, backup_schedule=SCHEDULE)
    try:
        local.up(demo_residents=30)
        yield local
    finally:
        local.down()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="package")
def backups(cluster: LocalCluster) -> list[dict[str, Any]]:
    """The supervisor's scheduled full backup, then `minwon backup run` full and diff."""
    log = cluster.root / "logs" / "supervisor.log"
    assert wait_until(
        lambda: "scheduled full backup done" in log.read_text(), timeout=60, interval=0.5
    ), log.read_text()[-2000:]
    for kind in ("full", "diff"):
        done = minwon(cluster, "backup", "run", "--type", kind)
        assert done.returncode == 0, done.stderr
        assert f"{kind} 백업" in done.stdout
    found: list[dict[str, Any]] = listed(cluster)["backups"]
    return found
