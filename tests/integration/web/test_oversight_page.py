"""감독 기록: a supervisor sees their office's refusals and look-ups on a page; a clerk does
not, nor does the other district's supervisor; the auditor sees any office; looking is
recorded. Pages over TestClient (SQLite); the browser suite checks it with axe-core.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from minwon.demo import DEMO_PASSWORD, jeonju
from minwon.registry.model import Resident
from minwon.web.app import create_app
from support.rrn_leaks import assert_no_full_number
from support.world import World

API = "/api/v1"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
OFFICE = jeonju.WANSAN_DONGS[0].code  # where the demo clerk and supervisor work


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def app_client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), follow_redirects=False) as c:
        yield c


def _bearer(client: TestClient, username: str, kind: str = "clerk") -> dict[str, str]:
    response = client.post(
        f"{API}/auth/{kind}", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _signed_in(world: World, username: str) -> TestClient:
    client = TestClient(create_app(world.container), follow_redirects=False)
    page = client.get("/counter/login")
    token = TOKEN.search(page.text)
    assert token
    done = client.post(
        "/counter/login",
        data={"csrf_token": token.group(1), "username": username, "password": DEMO_PASSWORD},
    )
    assert done.status_code == 303, done.text
    return client


def _person(world: World, citizen: str) -> Resident:
    return world.resident(world.citizen(citizen).resident_id or "")


@pytest.fixture
def office_day(app_client: TestClient, world: World) -> World:
    """At the 완산구 dong office: a refused 등본 for a stranger, a look-up, a refused read
    of an internet document and a refused void of it."""
    clerk = _bearer(app_client, "clerk")
    subject, stranger = _person(world, "citizen1"), _person(world, "citizen2")
    refused = app_client.post(
        f"{API}/issuances",
        json={
            "document_type": "deungbon",
            "subject_resident_id": subject.id,
            "requester": {"name": stranger.name, "rrn": stranger.rrn, "id_checked": True},
        },
        headers={**clerk, "Idempotency-Key": "oversight-refuse-1"},
    )
    assert refused.status_code == 403, refused.text
    found = app_client.post(
        f"{API}/residents/search",
        json={"purpose": "창구 신청인 확인", "rrn": subject.rrn},
        headers=clerk,
    )
    assert found.status_code == 200
    citizen = _bearer(app_client, "citizen3", "citizen")
    number = app_client.post(
        f"{API}/issuances",
        json={"document_type": "deungbon"},
        headers={**citizen, "Idempotency-Key": "oversight-online-1"},
    ).json()["number"]
    assert app_client.get(f"{API}/issuances/{number}", headers=clerk).status_code == 404
    void = app_client.post(
        f"{API}/issuances/{number}/void", json={"reason": "다른 기관 문서"}, headers=clerk
    )
    assert void.status_code == 403
    return world


def test_the_supervisor_sees_the_offices_refusals_and_lookups(office_day: World) -> None:
    with _signed_in(office_day, "supervisor") as client:
        home = client.get("/counter")
        assert 'href="/counter/oversight"' in home.text  # the menu offers it
        page = client.get("/counter/oversight")
    assert page.status_code == 200, page.text
    text = page.text
    assert '<html lang="ko">' in text and "<h1>감독 기록" in text
    assert re.search(r"<caption[^>]*>[^<]*거부·실패 3건 · 주민 조회 1건", text), text
    for label in ("발급 거부", "열람·처리 거부", "발급 취소 실패", "주민 조회"):
        assert f"<td>{label}</td>" in text, label
    for code in ("issuance.not_found", "void.other_office", "창구 신청인 확인"):
        assert code in text
    assert 'scope="col"' in text
    assert_no_full_number(text, "oversight page")
    with office_day.container.uows(readonly=True) as uow:
        (viewed,) = uow.audit.events(action="oversight")
    assert viewed.actor_id == "supervisor" and viewed.detail["office"] == OFFICE
    assert viewed.detail["count"] == 4


def test_a_clerk_and_the_other_districts_supervisor_are_refused(office_day: World) -> None:
    with _signed_in(office_day, "clerk") as clerk:
        assert 'href="/counter/oversight"' not in clerk.get("/counter").text
        refused = clerk.get("/counter/oversight")
        assert refused.status_code == 403 and "감독 공무원만" in refused.text
    with _signed_in(office_day, "supervisor-deokjin") as other:
        own = other.get("/counter/oversight")
        assert own.status_code == 200 and "기록된 거부나 조회가 없습니다" in own.text
        crossing = other.get(f"/counter/oversight?office={OFFICE}")
        assert crossing.status_code == 403 and "담당 지역이 아닌" in crossing.text
    with office_day.container.uows(readonly=True) as uow:
        denied = [
            e for e in uow.audit.events(action="deny") if e.detail.get("attempt") == "oversight"
        ]
    assert [(e.actor_id, e.outcome) for e in denied] == [
        ("clerk", "oversight.supervisor_only"),
        ("supervisor-deokjin", "oversight.other_office"),
    ]


def test_the_auditor_sees_any_office(office_day: World) -> None:
    with _signed_in(office_day, "auditor") as auditor:
        page = auditor.get(f"/counter/oversight?office={OFFICE}")
        assert page.status_code == 200 and "주민 조회 1건" in page.text
        bad_day = auditor.get("/counter/oversight?day=0001-01-01")
        assert bad_day.status_code == 422
