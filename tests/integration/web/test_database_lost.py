"""When the database cannot be reached, the API says 503 with a stable code, every time.

Given an app whose database file cannot be opened (its path is a directory), the unit of
work turns the driver's error into errors.Unavailable, the retry gives up after its short
budget, and the API answers problem+json ``database.unavailable`` with Retry-After; the
readiness check says not ready. No SQLAlchemy error reaches the web layer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from minwon.bootstrap import bootstrap
from minwon.config import Settings
from minwon.errors import Unavailable
from minwon.issuance.numbers import display, new_number
from minwon.issuance.verification import verify_number
from minwon.rendering.keys import init_keys
from minwon.web.app import create_app


@pytest.fixture
def lost(tmp_path: Path) -> Iterator[TestClient]:
    directory = tmp_path / "db-is-a-directory"
    directory.mkdir()
    init_keys(tmp_path / "keys")
    settings = Settings.from_env(
        {},
        data_dir=tmp_path,
        database_url=f"sqlite:///{directory}",
        keys_dir=tmp_path / "keys",
        db_retry_seconds=0.3,
    )
    container = bootstrap(settings)
    try:
        with TestClient(create_app(container)) as client:
            yield client
    finally:
        container.close()


def test_verification_answers_503_database_unavailable(lost: TestClient) -> None:
    started = time.monotonic()
    response = lost.get(f"/api/v1/verify/{display(new_number())}")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body["code"] == "database.unavailable"
    assert "Idempotency-Key" in body["detail"]


def test_a_sign_in_answers_503_not_500(lost: TestClient) -> None:
    response = lost.post(
        "/api/v1/auth/citizen", json={"username": "citizen1", "password": "minwon-demo"}
    )
    assert response.status_code == 503 and response.json()["code"] == "database.unavailable"


def test_readiness_says_not_ready(lost: TestClient) -> None:
    response = lost.get("/readyz")
    assert response.status_code == 503 and response.json()["code"] == "not_ready"


def test_the_use_case_itself_raises_unavailable(tmp_path: Path) -> None:
    directory = tmp_path / "dir"
    directory.mkdir()
    init_keys(tmp_path / "keys")
    container = bootstrap(
        Settings.from_env(
            {}, data_dir=tmp_path, database_url=f"sqlite:///{directory}", db_retry_seconds=0.2
        )
    )
    try:
        with pytest.raises(Unavailable):
            verify_number(container.issuance, number_text=new_number())
    finally:
        container.close()
