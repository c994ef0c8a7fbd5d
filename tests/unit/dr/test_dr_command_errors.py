"""``minwon dr`` without a site, or asked the wrong thing: one plain Korean line with a
stable code and exit 2, never a traceback, and nothing started."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from minwon.cli.main import app


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["promote"],
        ["promote", "--accept-loss", "--fence"],
        ["down"],
        ["rejoin"],
        ["link", "cut"],
        ["link", "restore"],
    ],
)
def test_commands_on_a_folder_without_a_second_site_say_so(
    command: list[str], tmp_path: Path
) -> None:
    done = CliRunner().invoke(app, ["dr", *command, "--root", str(tmp_path / "none")])
    assert done.exit_code == 2, done.output
    assert "(dr.no_site)" in done.output and "Traceback" not in done.output
    assert not (tmp_path / "none").exists()  # nothing was made


def test_a_second_site_needs_a_running_primary_site(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["dr", "up", "--root", str(tmp_path)])
    assert done.exit_code == 2, done.output
    assert "(cluster.none)" in done.output and "Traceback" not in done.output


@pytest.mark.parametrize("nodes", ["0", "3"])
def test_a_second_site_has_one_or_two_nodes(nodes: str, tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["dr", "up", "--root", str(tmp_path), "--nodes", nodes])
    assert done.exit_code == 2 and "Traceback" not in done.output


def test_a_negative_lag_bound_is_refused(tmp_path: Path) -> None:
    done = CliRunner().invoke(
        app, ["dr", "promote", "--root", str(tmp_path), "--max-lag-bytes", "-1"]
    )
    assert done.exit_code == 2 and "Traceback" not in done.output
