"""pgBackRest in a real local cluster: WAL archive, scheduled and asked-for backups,
``minwon backup list`` and ``verify``.

Given a cluster started with a backup schedule (``conftest.py``, shared with the
recovery drills), when it comes up, then the supervisor
takes a full backup on its own; WAL switched on the primary reaches the repository and
``pgbackrest check`` passes; ``minwon backup run`` takes a full and then a differential
backup that ``list`` shows with sizes and times; the real hosts' backup timers would run
on the primary only; ``verify`` passes, and after one byte
range of a backup file is overwritten, it fails with one plain line naming the backup.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from minwon.operations.clock import wait_until
from minwon.operations.cluster import render
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.processes import run_as
from support.backup_cluster import listed, minwon, superuser

pytestmark = [pytest.mark.slow, pytest.mark.cluster]


def _minwon(cluster: LocalCluster, *args: str) -> subprocess.CompletedProcess[str]:
    return minwon(cluster, "backup", *args)


def _listed(cluster: LocalCluster) -> dict[str, Any]:
    return listed(cluster)


def test_wal_switched_on_the_primary_reaches_the_repository(cluster: LocalCluster) -> None:
    with superuser(cluster, cluster.leader()) as conn:
        row = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()
        assert row is not None
        segment = str(row[0])

        def archived() -> bool:
            got = conn.execute("SELECT last_archived_wal FROM pg_stat_archiver").fetchone()
            return got is not None and got[0] is not None and str(got[0]) >= segment

        assert wait_until(archived, timeout=30, interval=0.2)
    assert _listed(cluster)["wal"]["max"] >= segment
    checked = _minwon(cluster, "check")
    assert checked.returncode == 0, checked.stderr


def test_the_timer_units_condition_lets_only_the_primary_back_up(cluster: LocalCluster) -> None:
    """The ``ExecCondition`` of the plan's backup services, rendered for this cluster's
    nodes and run as their database user: true on the primary only."""
    spec, leader = cluster.spec, cluster.leader()
    for node in spec.nodes:
        service = render.backup_timers(spec, node)[0].text
        condition = next(line for line in service.splitlines() if line.startswith("ExecCondition="))
        argv = shlex.split(condition.partition("=")[2])
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=30, **run_as(spec.db_os_user)
        )
        assert (done.returncode == 0) == (node.name == leader), (node.name, done.stderr)


def test_scheduled_and_asked_for_backups_are_listed_with_sizes_and_times(
    cluster: LocalCluster, backups: list[dict[str, Any]]
) -> None:
    assert [b["type"] for b in backups] == ["full", "full", "diff"]
    for backup in backups:
        assert backup["size"] > 0 and backup["repo_size"] > 0 and not backup["error"]
        assert backup["started"] <= backup["stopped"]
    assert backups[2]["prior"] == backups[1]["label"]
    assert backups[2]["delta"] < backups[1]["size"]  # a differential copies what changed
    table = _minwon(cluster, "list")
    assert table.returncode == 0, table.stderr
    for backup in backups:
        assert backup["label"] in table.stdout


def test_verify_passes_and_fails_plainly_on_a_corrupted_backup_file(
    cluster: LocalCluster, backups: list[dict[str, Any]]
) -> None:
    verified = _minwon(cluster, "verify")
    assert verified.returncode == 0, verified.stderr
    full = Path(cluster.spec.backup_repo) / "backup" / "minwon" / backups[1]["label"]
    victim = max((p for p in full.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    original = victim.read_bytes()
    try:
        middle = len(original) // 2
        victim.write_bytes(original[:middle] + b"\xde\xad\xbe\xef" * 4 + original[middle + 16 :])
        broken = _minwon(cluster, "verify")
    finally:
        victim.write_bytes(original)
    assert broken.returncode == 1
    said = " ".join(broken.stderr.split())
    assert "(backup.invalid)" in said and backups[1]["label"] in said, broken.stderr
    assert "Traceback" not in broken.stderr
    assert _minwon(cluster, "verify").returncode == 0  # the file is whole again
