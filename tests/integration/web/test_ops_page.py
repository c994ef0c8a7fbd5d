"""/ops: the availability report and the open incidents, for operators only.

Through the real app on a real (migrated, seeded) SQLite database: an operator address
sees last month's figures, the incident still open and its PDF; an outsider, even one
forging X-Forwarded-For, gets a readable Korean 403 page and not one figure.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader

from minwon.adapters.database import make_engine
from minwon.adapters.migrate import upgrade
from minwon.bootstrap import Container, bootstrap
from minwon.clock import FixedClock
from minwon.config import Settings
from minwon.web.app import create_app
from support.availability_seed import EXPECTED, ROOT_CAUSE, seed

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 2026-12-02 12:00 KST: last month is November
TOKEN = "operator-ops-token-0123456789abcdefgh"


@pytest.fixture
def container(tmp_path: Path, keys_dir: Path) -> Iterator[Container]:
    url = f"sqlite:///{tmp_path / 'minwon.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    seed(engine, open_since=NOW.timestamp() - 90)
    engine.dispose()
    settings = Settings.from_env(
        {}, data_dir=str(tmp_path), database_url=url, keys_dir=keys_dir, metrics_token=TOKEN
    )
    made = bootstrap(settings, clock=FixedClock(NOW))
    try:
        yield made
    finally:
        made.close()


def test_an_outsider_gets_a_korean_403_page_and_no_figure(container: Container) -> None:
    app = create_app(container)
    with TestClient(app, client=("203.0.113.50", 40000)) as outsider:
        for path in ("/ops", "/ops?month=2026-11", "/ops/availability.pdf"):
            refused = outsider.get(path, headers={"X-Forwarded-For": "127.0.0.1"})
            assert refused.status_code == 403, path
            assert refused.headers["content-type"].startswith("text/html")
            assert "운영자 전용 화면입니다" in refused.text and "ops.forbidden" in refused.text
            assert EXPECTED["availability"] not in refused.text and "%PDF" not in refused.text
        wrong = outsider.get("/ops", headers={"Authorization": f"Bearer {TOKEN[:-1]}"})
        assert wrong.status_code == 403
        # The operator token opens it from anywhere.
        allowed = outsider.get("/ops", headers={"Authorization": f"Bearer {TOKEN}"})
        assert allowed.status_code == 200


def test_an_operator_sees_last_months_report_the_open_incident_and_the_pdf(
    container: Container,
) -> None:
    app = create_app(container)
    with TestClient(app, client=("127.0.0.1", 1)) as operator:
        page = operator.get("/ops")
        assert page.status_code == 200, page.text
        text = page.text
        assert "가용성 보고서" in text and "2026-11 (KST)" in text
        for wanted in EXPECTED.values():
            assert wanted.replace(">", "&gt;") in text, wanted
        assert ROOT_CAUSE in text and "data:image/svg+xml;base64," in text
        assert "지금 열려 있는 장애 (1건)" in text and "app:2이(가) 준비되지 않음" in text

        october = operator.get("/ops?month=2026-10")
        assert "2026-10 (KST)" in october.text and "100.0000 %" in october.text

        pdf = operator.get("/ops/availability.pdf?month=2026-11")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-type"] == "application/pdf"
        info = PdfFileReader(io.BytesIO(pdf.content)).trailer_view["/Info"]
        assert info["/Title"] == "가용성 보고서 2026-11"

        for bad in ("2026-13", "2027-01"):
            refused = operator.get(f"/ops?month={bad}")
            assert refused.status_code == 422 and "text/html" in refused.headers["content-type"]
            assert "report." in refused.text


def test_refreshing_the_page_does_not_make_the_report_again(container: Container) -> None:
    """The report costs the app instance seconds: kept 30 s per month, PDF included."""
    app = create_app(container)
    clock = container.clock
    assert isinstance(clock, FixedClock)
    with TestClient(app, client=("127.0.0.1", 1)) as operator:
        for _ in range(3):
            assert operator.get("/ops").status_code == 200
        assert operator.get("/ops/availability.pdf").status_code == 200
        assert container.kept_reports.computed == 1
        assert operator.get("/ops?month=2026-10").status_code == 200
        assert container.kept_reports.computed == 2
        clock.advance(timedelta(seconds=31))
        assert operator.get("/ops").status_code == 200
        assert container.kept_reports.computed == 3
