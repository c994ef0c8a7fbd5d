"""Verification shows the document and checks uploaded PDFs, tested as an attacker would.

A printed 등본 with an altered address and the genuine QR code must not pass: the page
shows the issued PDF's own page image and its items, so the difference is visible. A
second factor, when the city asks for one, keeps every personal field off the page and out
of the API until it is given. Voided and expired documents show no document at all. An
uploaded PDF gets the same checks as ``minwon verify``: one changed byte, or another
document's token, fails. SQLite only: verification adds no SQL of its own.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageChops
from starlette.testclient import TestClient

from minwon.bootstrap import Container, bootstrap
from minwon.clock import KST
from minwon.demo import DEMO_PASSWORD
from minwon.issuance.records import IssuanceRecord, canonical_json
from minwon.rendering.keys import rotate_token_key
from minwon.rendering.preview import rasterise
from minwon.web.app import create_app
from minwon.web.verification import MAX_UPLOAD_BYTES, page_grant
from support.rrn_leaks import assert_no_full_number
from support.world import World

API = "/api/v1"
PROBLEM = "application/problem+json"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
IMAGE = re.compile(r'<img src="(/verify/\d{16}/page/\d+\.png\?g=[^"]+)"')
FORGED_ADDRESS = "전북특별자치도 전주시 덕진구 가짜로 999, 1동 101호"
HANGUL = re.compile(r"[가-힣]")


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _check_api_error(response: httpx.Response) -> None:
    if response.status_code < 400 or not response.request.url.path.startswith(API):
        return
    response.read()
    assert response.headers["content-type"].startswith(PROBLEM), response.text
    assert_no_full_number(response.text, f"{response.request.url.path} answer")


def _client(container: Container) -> TestClient:
    client = TestClient(create_app(container), follow_redirects=False)
    client.event_hooks = {"request": [], "response": [_check_api_error]}
    return client


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with _client(world.container) as c:
        yield c


def _second_container(world: World, **changes: object) -> Container:
    return bootstrap(world.container.settings.with_changes(**changes), clock=world.clock)


def _login(client: TestClient, username: str = "citizen1", kind: str = "citizen") -> dict[str, str]:
    response = client.post(
        f"{API}/auth/{kind}", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _issue(
    client: TestClient, world: World, key: str, *, auth: dict[str, str] | None = None, **body: Any
) -> IssuanceRecord:
    # A paper with the numbers' back halves masked, unless a test asks otherwise: one
    # printing whole numbers is only shown whole with the subject's birth date.
    if body.get("document_type", "deungbon") in ("deungbon", "chobon"):
        body["items"] = {"rrn_back": False, **body.get("items", {})}
    response = client.post(
        f"{API}/issuances",
        json={"document_type": "deungbon", **body},
        headers={**(auth or _login(client)), "Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text
    with world.container.uows(readonly=True) as uow:
        record = uow.issuances.by_number(response.json()["number"])
    assert record is not None
    return record


def _gray(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("L")


def _image_urls(page: str) -> list[str]:
    return [html.unescape(u) for u in IMAGE.findall(page)]


def _personal(record: IssuanceRecord) -> list[str]:
    """What of a 등본 identifies people: the head's name, the address, members' names and
    (masked) numbers."""
    snapshot = record.snapshot_data()
    fields = [snapshot["household"]["head_name"], snapshot["household"]["address"]]
    for member in snapshot["members"]:
        fields += [m for m in (member["name"], member["rrn"][:8]) if m]
    return fields


def _csrf(client: TestClient) -> str:
    found = TOKEN.search(client.get("/verify").text)
    assert found
    return found.group(1)


# --- the altered printout -----------------------------------------------------------------


def test_an_altered_address_is_visible_against_the_issued_page_image(
    client: TestClient, world: World
) -> None:
    auth = _login(client)
    record = _issue(client, world, "view-altered-001", auth=auth)
    printed = client.get(f"{API}/issuances/{record.number}/pdf", headers=auth).content
    snapshot = record.snapshot_data()
    genuine_address = snapshot["household"]["address"]
    snapshot["household"]["address"] = FORGED_ADDRESS
    # The forger's paper: the same renderer, the genuine QR code and number, another address.
    forged = world.container.renderer.pdf_for(replace(record, snapshot=canonical_json(snapshot)))

    page = client.get(f"/verify?number={record.number}")
    assert page.status_code == 200, page.text
    urls = _image_urls(page.text)
    assert len(urls) == 1
    served = client.get(urls[0])
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"

    shown, genuine, fake = (
        _gray(p) for p in (served.content, *rasterise(printed), *rasterise(forged))
    )
    assert shown.size == genuine.size == fake.size
    assert ImageChops.difference(shown, genuine).getbbox() is None  # the issued page, exactly
    changed = ImageChops.difference(genuine, fake).getbbox()
    assert changed is not None
    _, top, _, bottom = changed
    # Only the address row differs: below the header, above the footer (QR code, seal).
    assert shown.height * 0.12 < top and bottom < shown.height * 0.3
    assert ImageChops.difference(shown.crop(changed), fake.crop(changed)).getbbox() is not None

    # And the items, in the paper's words.
    text = html.unescape(page.text)
    assert f"<dt>주소</dt><dd>{genuine_address}</dd>" in text
    assert FORGED_ADDRESS not in text
    assert "세대 구성원" in text and "발급된 문서의 내용" in text


def test_the_qr_code_link_shows_the_document_too(client: TestClient, world: World) -> None:
    record = _issue(client, world, "view-qr-000001")
    token = world.container.renderer.token_for(record)
    page = client.get(f"/verify?t={token}")
    assert page.status_code == 200, page.text
    assert "전자서명이 확인되었고" in page.text
    assert record.snapshot_data()["household"]["address"] in html.unescape(page.text)
    assert len(_image_urls(page.text)) == 1


def test_a_qr_code_signed_before_a_key_rotation_still_verifies(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    record = _issue(client, world, "view-rotate-001")
    old_token = world.container.renderer.token_for(record)
    keys = tmp_path / "keys"
    shutil.copytree(world.container.settings.keys_dir, keys)
    rotate_token_key(keys, window=timedelta(days=90), now=world.clock.now())
    container = _second_container(world, keys_dir=keys)
    try:
        with _client(container) as rotated:
            assert container.renderer.token_for(record) != old_token  # a new key signs now
            page = rotated.get(f"/verify?t={old_token}")
            assert page.status_code == 200, page.text
            assert "전자서명이 확인되었고" in page.text
    finally:
        container.close()


def test_a_page_image_needs_the_grant_its_verification_handed_out(
    client: TestClient, world: World
) -> None:
    record = _issue(client, world, "view-grant-0001")
    path = f"/verify/{record.number}/page/1.png"
    assert client.get(path).status_code == 403
    assert client.get(f"{path}?g=9999999999.{'0' * 32}").status_code == 403
    grant = page_grant(world.container, record.number)
    assert client.get(f"{path}?g={grant}").status_code == 200
    assert client.get(f"/verify/{record.number}/page/2.png?g={grant}").status_code == 404
    world.clock.advance(timedelta(minutes=11))
    assert client.get(f"{path}?g={grant}").status_code == 403


# --- the second factor --------------------------------------------------------------------


def test_with_a_second_factor_nothing_personal_shows_until_it_is_given(
    client: TestClient, world: World
) -> None:
    record = _issue(client, world, "view-factor-001")
    birth = world.resident(record.subject_ref.partition(":")[2]).birth_date
    personal = _personal(record)
    container = _second_container(world, verify_second_factor="birth_date")
    try:
        with _client(container) as strict:
            shown = [strict.get(f"/verify?number={record.number}").text]
            shown.append(strict.get(f"{API}/verify/{record.number}").text)
            token = _csrf(strict)
            wrong = (birth + timedelta(days=1)).isoformat()
            rejected = strict.post(
                "/verify", data={"csrf_token": token, "number": record.number, "factor": wrong}
            )
            assert "입력한 정보로는 문서를 열 수 없습니다" in rejected.text
            shown.append(rejected.text)
            api_wrong = strict.get(
                f"{API}/verify/{record.number}", headers={"Minwon-Verify-Factor": wrong}
            )
            assert api_wrong.json()["second_factor"]["state"] == "rejected"
            shown.append(api_wrong.text)
            for text in shown:
                unescaped = html.unescape(text)
                for field in personal:
                    assert field not in unescaped, field
                assert "/page/" not in text
            assert "유효한 문서입니다" in shown[0] and 'id="factor-form"' in shown[0]
            assert api_wrong.json()["document"] is None
            assert api_wrong.json()["status"] == "valid"

            accepted = strict.post(
                "/verify",
                data={"csrf_token": token, "number": record.number, "factor": birth.isoformat()},
            )
            api_right = strict.get(
                f"{API}/verify/{record.number}",
                headers={"Minwon-Verify-Factor": birth.strftime("%y%m%d")},
            )
            for text in (html.unescape(accepted.text), api_right.text):
                for field in personal:
                    assert field in text, field
            assert len(_image_urls(accepted.text)) == 1
            assert api_right.json()["second_factor"]["state"] == "accepted"
            assert api_right.json()["page_images"]
    finally:
        container.close()


def test_a_paper_with_whole_numbers_is_shown_whole_only_with_the_birth_date(
    client: TestClient, world: World
) -> None:
    # The city asks for no second factor, but this 등본 prints whole 주민등록번호.
    record = _issue(client, world, "view-whole-0001", items={"rrn_back": True})
    birth = world.resident(record.subject_ref.partition(":")[2]).birth_date
    url = f"{API}/verify/{record.number}"
    bare = client.get(url).json()
    assert bare["status"] == "valid"
    assert bare["second_factor"]["required"] and bare["second_factor"]["kind"] == "birth_date"
    assert bare["document"] is None and not bare.get("page_images")
    page = client.get(f"/verify?number={record.number}").text
    assert "/page/" not in page and 'id="factor-form"' in page
    for text in (page, json.dumps(bare, ensure_ascii=False)):
        assert not re.search(r"\d{6}-[1-8]\d{6}", html.unescape(text))
    given = client.get(url, headers={"Minwon-Verify-Factor": birth.strftime("%Y%m%d")}).json()
    assert given["second_factor"]["state"] == "accepted" and given["page_images"]


def test_every_factor_attempt_counts_and_past_the_limit_even_the_right_one_is_refused(
    client: TestClient, world: World
) -> None:
    record = _issue(client, world, "view-factor-002")
    birth = world.resident(record.subject_ref.partition(":")[2]).birth_date
    container = _second_container(
        world, verify_second_factor="birth_date", verify_factor_attempts_per_hour=3
    )
    try:
        with _client(container) as strict:
            url = f"{API}/verify/{record.number}"
            for day in (1, 2, 3):
                guess = (birth + timedelta(days=day)).isoformat()
                answer = strict.get(url, headers={"Minwon-Verify-Factor": guess})
                assert answer.json()["document"] is None
            right = strict.get(url, headers={"Minwon-Verify-Factor": birth.isoformat()})
            assert right.status_code == 429
            assert right.json()["code"] == "rate_limited"
    finally:
        container.close()


def test_a_building_register_asks_for_its_issue_date_instead_of_a_birth_date(
    client: TestClient, world: World
) -> None:
    record = _issue(
        client,
        world,
        "view-factor-003",
        document_type="geonchuk",
        building_number=world.a_building(),
    )
    container = _second_container(world, verify_second_factor="birth_date")
    try:
        with _client(container) as strict:
            url = f"{API}/verify/{record.number}"
            asked = strict.get(url).json()["second_factor"]
            assert asked == {
                "required": True,
                "kind": "issue_date",
                "label": "발급일",
                "state": "missing",
            }
            assert "발급일" in strict.get(f"/verify?number={record.number}").text
            issued = record.issued_at.astimezone(KST).date().isoformat()
            answer = strict.get(url, headers={"Minwon-Verify-Factor": issued}).json()
            assert answer["second_factor"]["state"] == "accepted" and answer["document"]
    finally:
        container.close()


# --- voided and expired ---------------------------------------------------------------------


def test_a_voided_document_says_so_with_its_date_and_shows_no_document(
    client: TestClient, world: World
) -> None:
    person = world.resident(world.citizen("citizen3").resident_id or "")
    clerk = _login(client, "clerk", "clerk")
    requester = {"name": person.name, "rrn": person.rrn, "id_checked": True}
    record = _issue(client, world, "view-void-00001", auth=clerk, requester=requester)
    voided = client.post(
        f"{API}/issuances/{record.number}/void", json={"reason": "신청인 요청"}, headers=clerk
    )
    assert voided.status_code == 200, voided.text
    with world.container.uows(readonly=True) as uow:
        after = uow.issuances.by_number(record.number)
    assert after is not None and after.voided_at is not None

    page = client.get(f"/verify?number={record.number}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "발급이 취소된 문서입니다" in text
    when = after.voided_at.astimezone(KST).strftime("%Y-%m-%d %H:%M")
    assert f"이 문서는 {when}에 발급이 취소되었습니다" in text
    assert "document-view" not in text and "/page/" not in text
    assert record.snapshot_data()["household"]["address"] not in text
    body = client.get(f"{API}/verify/{record.number}").json()
    assert body["status"] == "voided" and body["document"] is None and body["page_images"] is None
    grant = page_grant(world.container, record.number)
    assert client.get(f"/verify/{record.number}/page/1.png?g={grant}").status_code == 403


def test_an_expired_document_says_so_with_its_date_and_shows_no_document(
    client: TestClient, world: World
) -> None:
    record = _issue(client, world, "view-expired-001")
    world.clock.advance(timedelta(days=91))
    text = html.unescape(client.get(f"/verify?number={record.number}").text)
    assert "확인 기간이 지난 문서입니다" in text
    assert record.expires_at.astimezone(KST).strftime("%Y-%m-%d %H:%M") in text
    assert "document-view" not in text and "/page/" not in text


# --- uploads --------------------------------------------------------------------------------


def _upload(client: TestClient, data: bytes, media: str = "application/pdf") -> httpx.Response:
    return client.post(f"{API}/verify/pdf", content=data, headers={"Content-Type": media})


def _flip_a_byte(pdf: bytes) -> bytes:
    at = pdf.index(b"stream", len(pdf) // 3) + 40  # inside a page's content stream
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


def _outcomes(body: dict[str, Any]) -> dict[str, str]:
    return {line["code"]: line["outcome"] for line in body["checks"]}


def test_the_genuine_pdf_passes_every_check_and_one_changed_byte_fails(
    client: TestClient, world: World
) -> None:
    auth = _login(client)
    record = _issue(client, world, "view-upload-001", auth=auth)
    pdf = client.get(f"{API}/issuances/{record.number}/pdf", headers=auth).content
    genuine = _upload(client, pdf)
    assert genuine.status_code == 200, genuine.text
    body = genuine.json()
    assert body["verdict"] == "document.genuine" and body["trustworthy"] is True
    assert set(_outcomes(body).values()) == {"passed"}
    assert {"signature", "coverage", "trust", "token", "number", "record", "identical"} <= set(
        _outcomes(body)
    )
    assert all(HANGUL.search(line["detail"]) for line in body["checks"])

    answer = _upload(client, _flip_a_byte(pdf))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verdict"] == "document.untrusted" and body["trustworthy"] is False
    assert "믿지 마십시오" in body["headline"]
    outcomes = _outcomes(body)
    assert outcomes["signature"] == "failed" and outcomes["identical"] == "failed"


def test_another_documents_pdf_carrying_this_documents_token_fails(
    client: TestClient, world: World
) -> None:
    auth = _login(client)
    mine = _issue(client, world, "view-swap-00001", auth=auth)
    other = _issue(client, world, "view-swap-00002", auth=auth, items={"past_addresses": "all"})
    # Signed with the city's own key (the worst case): other's page under mine's token.
    swapped = world.container.renderer.pdf_for(replace(mine, snapshot=other.snapshot))
    body = _upload(client, swapped).json()
    outcomes = _outcomes(body)
    assert outcomes["signature"] == "passed" and outcomes["token"] == "passed"
    assert outcomes["number"] == "failed" and outcomes["identical"] == "failed"
    assert body["verdict"] == "document.untrusted"


def test_a_non_pdf_and_an_oversized_upload_get_a_korean_problem(client: TestClient) -> None:
    for data, media, status, code in (
        (b"hello, not a pdf", "application/pdf", 422, "verify.not_pdf"),
        (
            b"%PDF-1.7\n" + b"0" * (MAX_UPLOAD_BYTES + 1),
            "application/pdf",
            413,
            "verify.upload_too_large",
        ),
        (b"%PDF-1.7\n", "text/plain", 415, "verify.media_type"),
    ):
        answer = _upload(client, data, media)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith(PROBLEM)
        problem = answer.json()
        assert problem["code"] == code and HANGUL.search(problem["detail"])


def test_the_page_checks_an_uploaded_pdf_with_the_same_lines(
    client: TestClient, world: World
) -> None:
    auth = _login(client)
    record = _issue(client, world, "view-upload-002", auth=auth)
    pdf = client.get(f"{API}/issuances/{record.number}/pdf", headers=auth).content
    token = _csrf(client)

    def send(data: bytes, **form: str) -> httpx.Response:
        files = {"pdf": ("문서.pdf", data, "application/pdf")}
        return client.post("/verify/pdf", data=form, files=files)

    good = send(pdf, csrf_token=token)
    assert good.status_code == 200, good.text
    assert "발급된 그대로의 유효한 문서입니다" in good.text
    assert good.text.count(">통과<") == 8 and ">실패<" not in good.text
    bad = send(_flip_a_byte(pdf), csrf_token=token)
    assert "이 문서를 믿지 마십시오" in bad.text and ">실패<" in bad.text
    not_pdf = send(b"GIF89a...", csrf_token=token)
    assert not_pdf.status_code == 422 and "PDF 파일이 아닙니다" in not_pdf.text
    big = send(b"%PDF-" + b"0" * (MAX_UPLOAD_BYTES + 1), csrf_token=token)
    assert big.status_code == 413 and "5MB 이하" in big.text
    assert send(pdf).status_code == 403  # no CSRF token


# --- the API's document ---------------------------------------------------------------------


def test_the_api_answers_with_the_items_and_never_the_plain_content_hash(
    client: TestClient, world: World
) -> None:
    record = _issue(client, world, "view-api-000001")
    answer = client.get(f"{API}/verify/{record.number}")
    assert answer.status_code == 200, answer.text
    assert record.content_hash not in answer.text
    body = answer.json()
    document = body["document"]
    assert document["title"] == "주민등록표 (등본)"
    pairs = [p for b in document["blocks"] if b["kind"] == "kv" for p in b["pairs"]]
    assert ["주소", record.snapshot_data()["household"]["address"]] in pairs
    tables = [b for b in document["blocks"] if b["kind"] == "table"]
    assert tables[0]["columns"][2] == "성명" and tables[0]["rows"]
    assert f"/verify/{record.number}/page/1.png?g=" in body["page_images"][0]
    assert body["second_factor"] == {
        "required": False,
        "kind": "none",
        "label": "",
        "state": "not_required",
    }
    assert_no_full_number(answer.text, "verification answer")
