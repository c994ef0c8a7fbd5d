"""`make bench` does not rot: its SQLite, render and scale sections run once, tiny, with
real uvicorn and wrk, and write the table, the JSON and the chart. (The cluster section's
parts run in the fault-scenario tests; the figures themselves come from `make bench`.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.binaries import require

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_bench_runs_its_sections_and_writes_table_json_and_chart(tmp_path: Path) -> None:
    require("wrk")
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--sections", "sqlite,render,scale",
         "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "Minwon benchmarks" in done.stdout
    figures = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))["figures"]
    by_name = {f["name"]: f for f in figures}
    for name in (
        "issuance, signed PDF",
        "verification",
        "plain libraries",
        "+ CMS template, reserved room",
        "Minwon issuance commits (PDF made and stored)",
        "300 residents: demo-data load",
    ):
        assert name in by_name, sorted(by_name)
    issued = by_name["issuance, signed PDF"]["extra"]
    assert issued["acknowledged"] > 0
    assert issued["lost"] == 0 and issued["duplicated"] == 0
    assert all(f["median"] > 0 for f in figures)
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_paired_runs_the_probe_in_both_checkouts_and_writes_json(tmp_path: Path) -> None:
    # Against itself: the same code on both sides, so only the plumbing is under test.
    done = subprocess.run(
        [sys.executable, "-m", "bench.paired", "--against", str(ROOT), "--rounds", "1",
         "--issuances", "5", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    body = json.loads((tmp_path / "paired.json").read_text(encoding="utf-8"))
    for side in ("this", "that"):
        assert len(body["runs"][side]["issue_ms"]) == 1
        assert body["runs"][side]["issue_ms"][0] > 0 and body["runs"][side]["verify_ms"][0] > 0
