"""``minwon inspect`` without anything to inspect: exit 4 with a plain Korean line and
a stable code, never a traceback and never 0."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from minwon.cli.main import app


def test_no_cluster_at_root_exits_4_with_a_stable_code(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["inspect", "--root", str(tmp_path / "none"), "--json"])
    assert done.exit_code == 4
    assert "inspect.no_cluster" in done.output and "점검할 수 없습니다" in done.output
    assert "Traceback" not in done.output


def test_an_unreadable_thresholds_file_exits_4_before_anything_runs(tmp_path: Path) -> None:
    bad = tmp_path / "t.json"
    bad.write_text('{"no_such_limit": 1}')
    done = CliRunner().invoke(app, ["inspect", "--root", str(tmp_path), "--thresholds", str(bad)])
    assert done.exit_code == 4
    assert "inspect.thresholds" in done.output and "no_such_limit" in done.output
