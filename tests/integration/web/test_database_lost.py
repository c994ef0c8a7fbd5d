"""When the database cannot be reached, the API says 503 with a stable code, every time.

Given an app whose database file cannot be opened (its path is a directory), the unit of
work turns the driver's error into errors.Unavailable, the retry gives up after its short
budget, and the API answers problem+json ``database.unavailable`` with Retry-After; the
readiness check says not ready. No SQLAlchemy error reaches the web layer.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from minwon.adapters.migrate import upgrade
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


def _client_on(tmp_path: Path, database_url: str, **settings: object) -> tuple[Any, TestClient]:
    init_keys(tmp_path / "keys")
    container = bootstrap(
        Settings.from_env({}, data_dir=tmp_path, database_url=database_url, **settings)
    )
    return container, TestClient(create_app(container))


def test_a_missing_database_is_not_created_by_serving_and_answers_503_within_2_s(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "gone" / "minwon.sqlite3"
    container, client = _client_on(tmp_path, f"sqlite:///{missing}")  # default retry budget
    try:
        with client:
            assert client.get("/readyz").status_code == 503
            started = time.monotonic()
            response = client.get(f"/api/v1/verify/{display(new_number())}")
            assert time.monotonic() - started < 2.0
            assert response.status_code == 503
            assert response.json()["code"] == "database.unavailable"
        assert not missing.exists() and not missing.parent.exists()
    finally:
        container.close()


def test_a_database_without_the_schema_is_not_ready_and_says_so_at_once(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()  # a file, but nobody ran `minwon init` on it
    container, client = _client_on(tmp_path, f"sqlite:///{empty}", db_retry_seconds=10)
    try:
        with client:
            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["code"] == "not_ready"
            started = time.monotonic()
            response = client.get(f"/api/v1/verify/{display(new_number())}")
            assert time.monotonic() - started < 1.0  # not retried: only an operator helps
            assert response.status_code == 503
            assert response.json()["code"] == "database.schema"
    finally:
        container.close()


def test_a_database_behind_the_schema_is_not_ready(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    container, client = _client_on(tmp_path, url)
    try:
        upgrade(container.engine)
        with client:
            assert client.get("/readyz").status_code == 200
        with container.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'an_older_one'"))
        with client:
            assert client.get("/readyz").status_code == 503
    finally:
        container.close()


def test_a_database_file_deleted_under_the_server_is_not_ready(tmp_path: Path) -> None:
    path = tmp_path / "deleted.sqlite3"
    container, client = _client_on(tmp_path, f"sqlite:///{path}")
    try:
        upgrade(container.engine)
        with client:
            assert client.get("/readyz").status_code == 200  # a pooled connection is open
            path.unlink()
            assert client.get("/readyz").status_code == 503
            assert not path.exists()  # and nothing made a new empty one
    finally:
        container.close()
