"""Over HTTP: the citizen's inbox, notice settings and who obtained copies of their
records (API and portal pages); the clerk's view of who applied (API and counter page).
A creditor's copy shows its date, office, capacity and purpose, never the creditor's
number or name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from minwon.clock import KST
from minwon.demo import DEMO_PASSWORD
from minwon.notifications.delivery import drain
from minwon.registry.rrn import mask
from minwon.web.app import create_app
from support.parties import Person, outside_rrn
from support.rrn_leaks import assert_no_full_number
from support.world import World

API = "/api/v1"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the stores are tested on both backends; this is the HTTP surface


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), follow_redirects=False) as c:
        yield c


def _auth(client: TestClient, username: str, kind: str) -> dict[str, str]:
    answer = client.post(
        f"{API}/auth/{kind}", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _issue(client: TestClient, auth: dict[str, str], key: str, **body: Any) -> httpx.Response:
    answer = client.post(f"{API}/issuances", json=body, headers={**auth, "Idempotency-Key": key})
    assert answer.status_code == 201, answer.text
    return answer


def _sign_in(client: TestClient, area: str, username: str) -> None:
    page = client.get(f"/{area}/login")
    token = TOKEN.search(page.text)
    assert token
    answer = client.post(
        f"/{area}/login",
        data={"csrf_token": token.group(1), "username": username, "password": DEMO_PASSWORD},
    )
    assert answer.status_code == 303, answer.text


def test_a_subscriber_sees_a_creditors_copy_in_the_api_and_never_who_by_number(
    world: World, client: TestClient
) -> None:
    me = world.resident(world.citizen().resident_id or "")
    creditor = world.stranger_to(me)
    citizen = _auth(client, "citizen1", "citizen")
    clerk = _auth(client, "clerk", "clerk")

    bad = client.put(
        f"{API}/me/notice-settings", json={"copy_notices": True, "email": "x@"}, headers=citizen
    )
    assert bad.status_code == 422 and bad.json()["code"] == "notice.email_invalid"
    saved = client.put(
        f"{API}/me/notice-settings",
        json={"copy_notices": True, "email": "me@jeonju.example", "phone": None},
        headers=citizen,
    )
    assert saved.status_code == 200 and saved.json()["copy_notices"] is True
    assert client.get(f"{API}/me/notice-settings", headers=citizen).json() == saved.json()

    issued = _issue(
        client,
        clerk,
        "k-http-copy-1",
        document_type="chobon",
        subject_resident_id=me.id,
        requester={"name": creditor.name, "rrn": creditor.rrn, "id_checked": True},
        ground="creditor",
        purpose="대여금 반환 청구",
    )
    drain(world.container.notifications)

    inbox = client.get(f"{API}/me/notices", headers=citizen)
    assert inbox.status_code == 200
    (notice,) = inbox.json()
    assert notice["kind"] == "copy:chobon" and notice["channels"]["inbox"] == "delivered"
    copies = client.get(f"{API}/me/record-copies", headers=citizen)
    (copy,) = copies.json()
    assert copy["document"] == "주민등록표 초본" and copy["requester"] == "채권·채무 관계"
    assert copy["purpose"] == "대여금 반환 청구" and copy["office"].endswith("주민센터")
    for text in (inbox.text, copies.text):
        assert creditor.rrn not in text and mask(creditor.rrn) not in text
        assert creditor.name not in text
        assert_no_full_number(text, "citizen's view")

    # The clerk sees who applied, the number masked; the citizen may not ask.
    number = issued.json()["number"]
    seen = client.get(f"{API}/issuances/{number}/applicant", headers=clerk)
    assert seen.status_code == 200, seen.text
    assert seen.json()["rrn_masked"] == mask(creditor.rrn)
    assert seen.json()["requester_class"] == "creditor" and seen.json()["id_checked"] is True
    assert_no_full_number(seen.text, "applicant view")
    refused = client.get(f"{API}/issuances/{number}/applicant", headers=citizen)
    assert refused.status_code == 403
    assert client.get(f"{API}/me/notices", headers=clerk).status_code == 403


def test_the_portal_pages_show_notices_copies_and_save_the_subscription(
    world: World, client: TestClient
) -> None:
    me = world.resident(world.citizen().resident_id or "")
    creditor = world.stranger_to(me)
    clerk = _auth(client, "clerk", "clerk")
    _sign_in(client, "portal", "citizen1")

    form = client.get("/portal/notices/settings")
    token = TOKEN.search(form.text)
    assert token and "교부 사실 통보" in form.text
    refused = client.post(
        "/portal/notices/settings",
        data={"csrf_token": token.group(1), "copy_notices": "1", "phone": "12345"},
    )
    assert refused.status_code == 422 and "휴대전화 번호는" in refused.text
    saved = client.post(
        "/portal/notices/settings", data={"csrf_token": token.group(1), "copy_notices": "1"}
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=1")
    assert (
        'id="copy_notices" name="copy_notices" value="1" checked'
        in client.get("/portal/notices/settings?saved=1").text
    )

    _issue(
        client,
        clerk,
        "k-page-copy-1",
        document_type="deungbon",
        subject_resident_id=me.id,
        requester={"name": creditor.name, "rrn": creditor.rrn, "id_checked": True},
        ground="litigation",
        purpose="소송 서류 제출",
    )
    drain(world.container.notifications)
    notices_page = client.get("/portal/notices")
    assert "소송·비송사건·경매" in notices_page.text and "알림함 전달됨" in notices_page.text
    copies_page = client.get("/portal/record-copies")
    assert copies_page.status_code == 200
    row = re.search(r'<table id="record-copies">.*</table>', copies_page.text, re.S)
    assert row and "주민등록표 등본" in row.group(0) and "소송 서류 제출" in row.group(0)
    for page in (notices_page.text, copies_page.text):
        assert creditor.name not in page and mask(creditor.rrn) not in page
        assert_no_full_number(page, "portal page")


def test_the_counter_page_shows_the_real_applicant_of_a_proxy_seal(
    world: World, client: TestClient
) -> None:
    subject = world.adult_with_seal()
    today = world.clock.now().astimezone(KST).date()
    proxy = Person("한대리", outside_rrn(world.container, today.replace(year=today.year - 30)))
    clerk = _auth(client, "clerk", "clerk")
    issued = _issue(
        client,
        clerk,
        "k-page-seal-1",
        document_type="ingam",
        subject_resident_id=subject.id,
        requester={"name": proxy.name, "rrn": proxy.rrn, "id_checked": True},
        delegation={
            "written_on": today.isoformat(),
            "document_types": ["ingam"],
            "delegator_id_seen": True,
        },
        proxy={
            "delegate_id_checked": True,
            "delegator_id_checked": True,
            "fingerprint_taken": True,
            "fingerprint": "0123456789abcdef",
        },
    )
    printed = issued.json()["snapshot"]["proxy"]
    assert printed == {"name": "한대리", "rrn": mask(proxy.rrn or "")}

    _sign_in(client, "counter", "clerk")
    page = client.get(f"/counter/issuances/{issued.json()['number']}")
    assert page.status_code == 200
    section = re.search(
        r'<dl class="applicant-facts panel" id="applicant">.*?</dl>', page.text, re.S
    )
    assert section, page.text
    shown = section.group(0)
    assert "한대리" in shown and mask(proxy.rrn or "") in shown
    assert "위임받은 대리인" in shown and f"작성일 {today.isoformat()}" in shown
    assert "판독값 digest" in shown and "0123456789abcdef" not in page.text
    assert_no_full_number(page.text, "counter page")
