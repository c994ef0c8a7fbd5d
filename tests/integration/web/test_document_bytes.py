"""Through the API and the pages: a document is one set of bytes, whoever asks and however.

The issue answer in PDF, the download, a replay of the issue request and the pages' PDF
(portal, counter, kiosk printing) all return the bytes stored at issuance; the owner sees
their SHA-256, the anonymous verification answer does not; a stored file that no longer
matches its record is a 500 problem, never a PDF.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from minwon.adapters import tables as t
from minwon.demo import DEMO_PASSWORD
from minwon.issuance.reading import issuance_for
from minwon.web.app import create_app
from minwon.web.pages.common import pdf_of
from support.rrn_leaks import assert_no_full_number
from support.world import World

API = "/api/v1"
PDF = "application/pdf"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def api(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.container)) as client:
        yield client


def _login(api: TestClient, username: str = "citizen1", kind: str = "citizen") -> dict[str, str]:
    response = api.post(
        f"{API}/auth/{kind}", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _issue(api: TestClient, auth: dict[str, str], key: str, accept: str) -> httpx.Response:
    return api.post(
        f"{API}/issuances",
        json={"document_type": "deungbon"},
        headers={**auth, "Idempotency-Key": key, "Accept": accept},
    )


def _pdf(response: httpx.Response, status: int = 200) -> bytes:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PDF
    return response.content


def test_the_issue_answer_the_download_and_a_replay_are_the_same_bytes(
    api: TestClient, world: World
) -> None:
    auth = _login(api)
    issued = _issue(api, auth, "bytes-api-0001", PDF)
    first = _pdf(issued, 201)
    number = issued.headers["Minwon-Document-Number"]
    downloads = [_pdf(api.get(f"{API}/issuances/{number}/pdf", headers=auth)) for _ in range(2)]
    replayed = _issue(api, auth, "bytes-api-0001", PDF)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert downloads == [first, first] and _pdf(replayed) == first
    assert world.count(t.issued_documents) == 1


def test_the_owner_sees_the_pdf_sha256_of_the_bytes_served(api: TestClient, world: World) -> None:
    auth = _login(api)
    issued = _issue(api, auth, "bytes-api-0002", "application/json")
    assert issued.status_code == 201, issued.text
    body: dict[str, Any] = issued.json()
    number = body["number"]
    served = _pdf(api.get(f"{API}/issuances/{number}/pdf", headers=auth))
    assert body["pdf_sha256"] == _sha(served)
    shown = api.get(f"{API}/issuances/{number}", headers=auth).json()
    listed = api.get(f"{API}/issuances", headers=auth).json()
    replay = _issue(api, auth, "bytes-api-0002", "application/json").json()
    assert shown["pdf_sha256"] == listed[0]["pdf_sha256"] == replay["pdf_sha256"] == _sha(served)
    # So does staff who may see the record (the city hall's: it issues internet documents).
    clerk = _login(api, "supervisor-city", "clerk")
    assert api.get(f"{API}/issuances/{number}", headers=clerk).json()["pdf_sha256"] == _sha(served)


def test_the_anonymous_verification_answer_does_not_carry_the_pdf_sha256(
    api: TestClient, world: World
) -> None:
    auth = _login(api)
    body = _issue(api, auth, "bytes-api-0003", "application/json").json()
    answer = api.get(f"{API}/verify/{body['number']}")
    assert answer.status_code == 200, answer.text
    assert body["pdf_sha256"] not in answer.text and "pdf_sha256" not in answer.json()
    # The record behind it has it, for the public page to use once it is meant to.
    with world.container.uows(readonly=True) as uow:
        record = uow.issuances.by_number(body["number"])
    assert record is not None and record.pdf_sha256 == body["pdf_sha256"]


def test_the_pages_hand_out_the_stored_bytes(api: TestClient, world: World) -> None:
    auth = _login(api)
    issued = _issue(api, auth, "bytes-api-0004", PDF)
    first = _pdf(issued, 201)
    record = issuance_for(
        world.container.issuance,
        principal=world.citizen(),
        number=issued.headers["Minwon-Document-Number"],
    )
    assert pdf_of(world.container, record) == first  # portal, counter and kiosk printing


def test_a_tampered_stored_pdf_is_a_problem_not_a_download(api: TestClient, world: World) -> None:
    auth = _login(api)
    issued = _issue(api, auth, "bytes-api-0005", "application/json").json()
    with world.container.engine.begin() as conn:
        conn.execute(
            update(t.issued_documents)
            .where(t.issued_documents.c.issuance_id == issued["id"])
            .values(pdf=b"%PDF-1.4 not what was signed")
        )
    for response in (
        api.get(f"{API}/issuances/{issued['number']}/pdf", headers=auth),
        _issue(api, auth, "bytes-api-0005", PDF),
    ):
        assert response.status_code == 500, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "document.corrupt"
        assert b"not what was signed" not in response.content
        assert_no_full_number(response.text, "corrupt document answer")
