"""``minwon cluster runbook``: the steps the scenario tests run, printed for a person."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from minwon.cli.cluster import app
from minwon.operations.scenarios import RUNBOOKS

HANGUL = re.compile(r"[가-힣]")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["runbook", *args], env={"COLUMNS": "400"})
    return result.exit_code, result.output


def test_the_runbook_of_a_fault_lists_its_steps_in_order_numbered() -> None:
    code, output = run("F2a")
    assert code == 0, output
    runbook = RUNBOOKS["F2a"]
    lines = output.splitlines()
    assert lines[0] == f"F2a 런북: {runbook.title_ko}"
    assert lines[1] == f"지켜야 할 것: {runbook.must_hold_ko}"
    numbered = [line for line in lines if re.match(r"^\s*\d+\. ", line)]
    assert len(numbered) == len(runbook.steps)
    for number, (line, step) in enumerate(zip(numbered, runbook.steps, strict=True), start=1):
        assert line.lstrip().startswith(f"{number}. ")
        assert line.endswith(step.ko)
    assert numbered[0].lstrip().startswith("1. [전제] 클러스터가 정상이다")
    assert numbered[1].lstrip().startswith("2. [그리고] 발급 부하가 꾸준하다")
    assert numbered[2].lstrip().startswith("3. [조치] 주 서버의 postmaster를 kill -9")
    assert "직접 할 때: minwon cluster kill postgres:<리더>" in output


def test_every_step_a_person_reads_is_in_korean() -> None:
    for runbook in RUNBOOKS.values():
        assert HANGUL.search(runbook.title_ko) and HANGUL.search(runbook.must_hold_ko)
        for step in runbook.steps:
            assert HANGUL.search(step.ko), f"{runbook.fault}: {step.name}"
            assert not step.how or HANGUL.search(step.how) or step.how.startswith("minwon ")


def test_the_fault_id_may_be_written_in_any_case() -> None:
    assert run("f2b")[1] == run("F2b")[1]


def test_without_a_fault_it_lists_every_fault_with_its_step_count() -> None:
    code, output = run()
    assert code == 0, output
    for fault, runbook in RUNBOOKS.items():
        assert f"{fault:<4} {runbook.title_ko} ({len(runbook.steps)}단계)" in output


def test_an_unknown_fault_is_a_plain_korean_error_with_the_known_ones() -> None:
    code, output = run("F9")
    assert code == 2
    assert "Traceback" not in output and HANGUL.search(output)
    assert "F9" in output and "F2a, F2b, F3, F4, F6, F7" in output


def test_kill_and_start_refuse_a_malformed_process_before_looking_for_a_cluster() -> None:
    for command in ("kill", "start", "stop"):
        result = CliRunner().invoke(app, [command, "mysql:m1", "--root", "/nonexistent"])
        assert result.exit_code == 2
        assert "알 수 없는 프로세스" in result.output and "postgres:pg1" in result.output
    result = CliRunner().invoke(app, ["kill", "app:1", "--signal", "HUP"])
    assert result.exit_code == 2 and "KILL, TERM, INT" in result.output


def test_a_pause_target_that_names_nothing_is_refused_with_a_code(tmp_path: object) -> None:
    result = CliRunner().invoke(app, ["pause", "heart@pg1", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "cluster.pause" in result.output and "walreceiver@pg2" in result.output
    result = CliRunner().invoke(app, ["resume", "node@pg1", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "cluster.none" in result.output  # no cluster there
