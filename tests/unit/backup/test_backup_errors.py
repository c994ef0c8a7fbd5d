"""How a failing pgBackRest, or no cluster at all, reaches a person: one Korean line
with a stable code."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from minwon.cli.main import app
from minwon.operations.backup.pgbackrest import BackupError, PgBackRest
from support.binaries import require


def test_without_a_cluster_every_backup_command_says_so_plainly(tmp_path: Path) -> None:
    for command in (["run"], ["list", "--json"], ["verify"], ["check"]):
        done = CliRunner().invoke(app, ["backup", *command, "--root", str(tmp_path / "none")])
        assert done.exit_code == 2, done.output
        assert "(cluster.none)" in done.output and "Traceback" not in done.output


def test_an_unknown_backup_type_is_refused_before_anything_runs(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["backup", "run", "--type", "weekly", "--root", str(tmp_path)])
    assert done.exit_code == 2 and "(backup.type)" in done.output


def test_a_failing_pgbackrest_command_carries_its_code_exit_status_and_error_line(
    tmp_path: Path,
) -> None:
    """The real pgBackRest, asked to back up into a repository without the stanza."""
    pgbackrest = require("pgbackrest")
    config = tmp_path / "pgbackrest.conf"
    config.write_text(
        f"[global]\nrepo1-path={tmp_path}/repo\nlock-path={tmp_path}/lock\n"
        f"log-level-file=off\nrepo1-retention-full=2\n"
        f"[minwon]\npg1-path={tmp_path}/data\npg1-socket-path={tmp_path}\n"
    )
    runner = PgBackRest(str(config), None, pgbackrest, cwd=str(tmp_path))
    with pytest.raises(BackupError) as raised:
        runner.backup("full")
    assert raised.value.code == "backup.failed"
    detail = raised.value.detail
    assert detail.startswith("full 백업 실패 (종료 코드 55): ERROR: [055]: unable to load info")
    assert "HINT: has a stanza-create been performed?" in detail and "\n" not in detail
    info = runner.info()  # no stanza yet: pgBackRest answers, with its status
    assert not info.ok and info.status_message == "missing stanza path" and info.backups == ()


def test_a_missing_pgbackrest_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(BackupError) as raised:
        PgBackRest("/nowhere.conf", None, str(tmp_path / "absent")).info()
    assert raised.value.code == "backup.missing" and "make setup" in raised.value.detail
