"""``minwon report availability`` on a real, migrated SQLite database: the PDF it writes
reads (as poppler extracts its text) the figures worked out by hand, its HTML and JSON
agree, and a bad month, a future one, a missing or empty database end in one Korean line
and a non-zero exit.

The run writes its report under test-artifacts/reports/ (availability-2026-11-example.pdf,
.html, .json): a generated report anyone can open.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from typer.testing import CliRunner

from minwon.adapters.database import make_engine
from minwon.adapters.migrate import upgrade
from minwon.cli.main import app
from support.availability_seed import EXPECTED, PREVENTION, ROOT_CAUSE, seed
from support.binaries import require

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "reports"


@pytest.fixture
def database(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "minwon.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    seed(engine)
    engine.dispose()
    return {"MINWON_DATA_DIR": str(tmp_path), "MINWON_DATABASE_URL": f"sqlite:///{path}"}


def test_the_report_of_a_month_as_pdf_html_and_json(database: dict[str, str]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf, html = (
        ARTIFACTS / "availability-2026-11-example.pdf",
        ARTIFACTS / "availability-2026-11-example.html",
    )
    argv = [sys.executable, "-m", "minwon.cli.main", "report", "availability", "--month", "2026-11"]
    argv += ["--out", str(pdf), "--html", str(html), "--json"]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=120, env={**os.environ, **database}
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    (ARTIFACTS / "availability-2026-11-example.json").write_text(done.stdout, encoding="utf-8")
    assert data["outage_seconds"] == 612.5 and data["budget"]["remaining_seconds"] == 683.5
    assert [c["availability"] for c in data["channels"]] == [99.9764] * 4
    assert len(data["incidents"]) == 2 and data["target_percent"] == 99.95

    text = subprocess.run(
        [require("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for wanted in (
        "가용성 보고서",
        "2026-11 (KST)",
        "목표 가용률: 99.95 %",
        "산정 기준",
        "etcd 합의 상실",
        "일별 장애 시간",
        *EXPECTED.values(),
    ):
        assert wanted in text, wanted
    raw = subprocess.run(
        [require("pdftotext"), "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    squeezed = "".join(raw.split())  # a note wraps inside its table cell
    for note in (f"근본 원인: {ROOT_CAUSE}", f"재발 방지: {PREVENTION}"):
        assert "".join(note.split()) in squeezed, note
    info = PdfFileReader(io.BytesIO(pdf.read_bytes())).trailer_view["/Info"]
    assert info["/Title"] == "가용성 보고서 2026-11"

    page = html.read_text(encoding="utf-8")
    assert "<title>가용성 보고서 2026-11</title>" in page and "data:image/svg+xml;base64," in page
    assert EXPECTED["availability"] in page and ROOT_CAUSE in page


@pytest.mark.parametrize(
    ("args", "code", "exit_code"),
    [
        (["--month", "2026-13"], "report.month", 2),
        (["--month", "2099-01"], "report.future", 2),
        (["--from", "2026-11-01"], "report.range", 2),
    ],
)
def test_a_period_that_cannot_be_reported_is_one_korean_line(
    database: dict[str, str], args: list[str], code: str, exit_code: int
) -> None:
    done = CliRunner().invoke(app, ["report", "availability", *args], env=database)
    assert done.exit_code == exit_code
    assert f"({code})" in done.output and "Traceback" not in done.output


def test_no_database_or_an_empty_one_is_said_plainly(tmp_path: Path) -> None:
    missing = {"MINWON_DATA_DIR": str(tmp_path), "MINWON_DATABASE_URL": ""}
    missing["MINWON_DATABASE_URL"] = f"sqlite:///{tmp_path / 'none.sqlite3'}"
    done = CliRunner().invoke(app, ["report", "availability", "--month", "2026-11"], env=missing)
    assert done.exit_code == 2 and "(database.missing)" in done.output
    assert not (tmp_path / "none.sqlite3").exists()
    (tmp_path / "empty.sqlite3").write_bytes(b"")  # a file, but no schema
    empty = {**missing, "MINWON_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    done = CliRunner().invoke(
        app,
        ["report", "availability", "--month", "2026-11", "--out", str(tmp_path / "r.pdf")],
        env=empty,
    )
    assert done.exit_code == 1 and "(report.database)" in done.output
    assert not (tmp_path / "r.pdf").exists()
