"""``minwon issue`` writes the PDF stored at issuance: the same key twice, the same file."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

MINWON = str(Path(sys.executable).parent / "minwon")


def _run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINWON_")}
    env.update(MINWON_DATA_DIR=str(data_dir), COLUMNS="200")
    env["XDG_CONFIG_HOME"] = str(data_dir / "config")
    done = subprocess.run(
        [MINWON, *args], env=env, cwd=data_dir, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_issuing_again_with_the_same_key_writes_the_identical_stored_pdf(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    _run(data_dir, "init")
    _run(data_dir, "demo-data", "--residents", "200", "--seed", "3")
    first, second = data_dir / "first.pdf", data_dir / "second.pdf"
    for out in (first, second):
        _run(data_dir, "issue", "deungbon", "--as", "citizen:citizen1", "--key", "cli-bytes-0001",
             "--out", str(out))  # fmt: skip
    assert first.read_bytes().startswith(b"%PDF-") and first.read_bytes() == second.read_bytes()
    with sqlite3.connect(data_dir / "minwon.sqlite3") as db:
        rows = db.execute("SELECT pdf_sha256 FROM issuances").fetchall()
    assert rows == [(hashlib.sha256(first.read_bytes()).hexdigest(),)]
