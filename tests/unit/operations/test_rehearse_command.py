"""``minwon cluster rehearse``: only what a running cluster can rehearse, refused plainly
otherwise, and never against a cluster that is not there."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from minwon.cli.cluster import app
from minwon.operations.scenarios import RUNBOOKS
from minwon.operations.scenarios.rehearsal import REHEARSABLE


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["rehearse", *args], env={"COLUMNS": "400"})
    return result.exit_code, result.output


def test_faults_needing_their_own_network_hosts_or_a_bad_build_are_not_rehearsable() -> None:
    assert {"F2a", "F2b", "F3", "F6", "F7", "SW"} <= set(REHEARSABLE)
    for fault in ("F4", "P1", "F1a", "F1b"):
        assert fault not in REHEARSABLE
        code, output = run(fault)
        assert code == 2 and "cluster.rehearse_unknown" in output, output
    assert set(REHEARSABLE) <= set(RUNBOOKS)


def test_an_unknown_fault_is_refused_with_the_list_and_no_cluster_is_needed() -> None:
    code, output = run("F99")
    assert code == 2
    assert "리허설할 수 없는 장애 'F99'" in output and "F2a" in output


def test_no_cluster_under_the_root_is_a_plain_error_not_a_traceback(tmp_path: Path) -> None:
    code, output = run("f3", "--root", str(tmp_path / "nothing"))
    assert code == 2 and "cluster.none" in output, output
    assert not (tmp_path / "nothing" / "rehearsals").exists()
