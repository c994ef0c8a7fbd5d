"""Bad input is answered, and nothing leaks (issue 10, item 5), over HTTP on the real app.

Each case is what someone typed or sent on purpose: a day in the year 1 or 9999, a name
in decomposed Hangul, a number in full-width digits, a count as a string, an item the
document does not have, a 주민등록번호 in a purpose or a void reason, a number in the
path. Every error answer is checked by a response hook: problem+json under /api, and no
whole number in it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from minwon.adapters import tables as t
from minwon.bootstrap import bootstrap
from minwon.clock import KST
from minwon.demo import DEMO_KIOSK_KEY, DEMO_PASSWORD
from minwon.inputs import without_rrns
from minwon.issuance.numbers import new_number
from minwon.registry.model import Resident
from minwon.web.app import create_app
from support.rrn_leaks import assert_no_full_number
from support.world import World

API = "/api/v1"
PROBLEM = "application/problem+json"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
OUT_OF_RANGE = ("0001-01-01", "9999-12-31", "1799-12-31", "2100-01-01")


def _digits(text: str) -> str:
    """Every digit in ``text`` in ASCII (full-width and other scripts' too)."""
    return "".join(str(unicodedata.decimal(c)) for c in text if c.isdecimal())


def _check_error(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    response.read()
    if response.request.url.path.startswith(API):
        assert response.headers["content-type"].startswith(PROBLEM), response.text
    assert_no_full_number(response.text, f"{response.request.url.path} answer")


@pytest.fixture
def api(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), follow_redirects=False) as client:
        client.event_hooks = {"request": [], "response": [_check_error]}
        yield client


def _login(api: TestClient, username: str = "citizen1", kind: str = "citizen") -> dict[str, str]:
    response = api.post(
        f"{API}/auth/{kind}", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def _issue(api: TestClient, auth: dict[str, str], key: str, **body: Any) -> httpx.Response:
    payload = {"document_type": "deungbon", **body}
    return api.post(f"{API}/issuances", json=payload, headers={**auth, "Idempotency-Key": key})


def _me(world: World, username: str = "citizen1") -> Resident:
    return world.resident(world.citizen(username).resident_id or "")


def _walk_in(person: Resident, **changes: Any) -> dict[str, Any]:
    return {"name": person.name, "rrn": person.rrn, "id_checked": True, **changes}


def _page_post(client: TestClient, page: str, action: str, data: dict[str, Any]) -> Any:
    form = client.get(page)
    token = TOKEN.search(form.text)
    assert token, form.text
    return client.post(action, data={"csrf_token": token.group(1), **data})


def _clerk_pages(world: World) -> TestClient:
    client = TestClient(create_app(world.container), follow_redirects=False)
    signed_in = _page_post(
        client, "/counter/login", "/counter/login", {"username": "clerk", "password": DEMO_PASSWORD}
    )
    assert signed_in.status_code == 303, signed_in.text
    return client


def _rrn_forms(rrn: str) -> list[str]:
    digits = rrn.replace("-", "")
    front, back = digits[:6], digits[6:]
    return [
        f"{front}-{back}",
        digits,
        f"{front} {back}",
        f"{front} - {back}",
        f"{front}-{back}".translate(FULL_WIDTH),
    ]


# --- dates out of range -------------------------------------------------------------------


@pytest.mark.parametrize("day", OUT_OF_RANGE)
def test_a_register_day_out_of_range_is_422_not_a_dropped_connection(
    api: TestClient, day: str
) -> None:
    auth = _login(api, "clerk", "clerk")
    office = api.get(f"{API}/auth/me", headers=auth).json()["office_code"]
    response = api.get(f"{API}/offices/{office}/register", params={"day": day}, headers=auth)
    body = _problem(response, 422, "request.invalid")
    assert body["errors"] == [{"loc": ["query", "day"], "type": "value_error"}]
    fine = api.get(f"{API}/offices/{office}/register", params={"day": "2026-11-01"}, headers=auth)
    assert fine.status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_dates_out_of_range_in_bodies_are_422(api: TestClient, world: World, day: str) -> None:
    clerk = _login(api, "clerk", "clerk")
    search = api.post(
        f"{API}/residents/search",
        json={"purpose": "창구 확인", "name": "김민원", "birth_date": day},
        headers=clerk,
    )
    assert _problem(search, 422, "request.invalid")["errors"][0]["loc"] == ["body", "birth_date"]
    person = _me(world, "citizen3")
    for field in ("written_on", "valid_until"):
        delegation = {"written_on": "2026-11-01", "document_types": ["deungbon"]}
        delegation |= {"delegator_id_seen": True, field: day}
        response = _issue(
            api, clerk, f"api-date-{field}", requester=_walk_in(person), delegation=delegation
        )
        assert _problem(response, 422, "request.invalid")["errors"][0]["loc"][-1] == field


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_counter_pages_answer_dates_out_of_range_in_korean(world: World, day: str) -> None:
    with _clerk_pages(world) as pages:
        register = pages.get("/counter/register", params={"day": day})
        assert register.status_code == 422 and "register.day" in register.text
        search = _page_post(
            pages,
            "/counter",
            "/counter/search",
            {"purpose": "창구 확인", "name": "김민원", "birth_date": day},
        )
        assert search.status_code == 422 and "생년월일을 YYYY-MM-DD로" in search.text


def test_a_second_factor_typed_as_a_far_date_is_answered_not_a_500(world: World) -> None:
    settings = world.container.settings.with_changes(verify_second_factor="issue_date")
    container = bootstrap(settings, clock=world.clock)
    try:
        with TestClient(create_app(container), follow_redirects=False) as client:
            number = _issue(client, _login(client), "api-factor-01").json()["number"]
            for factor in ("9999-12-31", "0001-01-01", "99991231235959"):
                page = _page_post(
                    client, "/verify", "/verify", {"number": number, "factor": factor}
                )
                assert page.status_code == 200, page.text
            today = world.clock.now().astimezone(KST).date().isoformat()
            right = _page_post(client, "/verify", "/verify", {"number": number, "factor": today})
            assert right.status_code == 200
    finally:
        container.close()


# --- Hangul in NFC ------------------------------------------------------------------------


def test_a_clerk_finds_a_resident_whose_name_was_typed_decomposed(
    api: TestClient, world: World
) -> None:
    person = _me(world, "citizen2")
    decomposed = unicodedata.normalize("NFD", person.name)
    assert decomposed != person.name
    clerk = _login(api, "clerk", "clerk")
    found = api.post(
        f"{API}/residents/search",
        json={
            "purpose": unicodedata.normalize("NFD", "창구 발급 신청인 확인"),
            "name": decomposed,
            "birth_date": person.birth_date.isoformat(),
        },
        headers=clerk,
    )
    assert found.status_code == 200, found.text
    assert person.id in [r["id"] for r in found.json()]
    with world.container.uows(readonly=True) as uow:
        lookups = uow.audit.events(action="lookup")
    assert [e.purpose for e in lookups] == ["창구 발급 신청인 확인"]  # kept in NFC
    with _clerk_pages(world) as pages:
        page = _page_post(
            pages,
            "/counter",
            "/counter/search",
            {
                "purpose": "창구 확인",
                "name": decomposed,
                "birth_date": person.birth_date.isoformat(),
            },
        )
        assert page.status_code == 200 and person.id in page.text


def test_a_walk_in_whose_name_was_typed_decomposed_is_issued_under_the_registrys_name(
    api: TestClient, world: World
) -> None:
    person = _me(world, "citizen3")
    clerk = _login(api, "clerk", "clerk")
    requester = _walk_in(person, name=unicodedata.normalize("NFD", person.name))
    composed = _issue(api, clerk, "api-nfd-00001", requester=_walk_in(person))
    decomposed = _issue(api, clerk, "api-nfd-00001", requester=requester)
    assert composed.status_code == 201, composed.text
    # The same request, however the name was typed: the retry replays the same document.
    assert decomposed.status_code == 200, decomposed.text
    assert decomposed.json()["number"] == composed.json()["number"]


# --- digits and counts --------------------------------------------------------------------


def test_full_width_digits_are_refused_in_every_number_field(api: TestClient, world: World) -> None:
    person = _me(world, "citizen3")
    wide = person.rrn.translate(FULL_WIDTH)
    clerk = _login(api, "clerk", "clerk")
    refused = [
        _issue(api, clerk, "api-wide-0001", requester=_walk_in(person, rrn=wide)),
        _issue(api, clerk, "api-wide-0002", subject_rrn=wide, requester=_walk_in(person)),
        api.post(
            f"{API}/residents/search", json={"purpose": "창구 확인", "rrn": wide}, headers=clerk
        ),
        api.post(
            f"{API}/auth/kiosk",
            json={"rrn": wide, "fingerprint": world.fingerprint(person)},
            headers={"X-Kiosk-Device": "kiosk-01", "X-Kiosk-Key": DEMO_KIOSK_KEY},
        ),
        _issue(api, clerk, "api-wide-0003", building_number="４５１１１-１００００００１"),
    ]
    for response in refused:
        _problem(response, 422, "request.invalid")
    number = _issue(api, _login(api), "api-wide-0004").json()["number"]
    for path in (f"/verify/{number.translate(FULL_WIDTH)}", f"/issuances/{number}"[:-1] + "８"):
        response = api.get(f"{API}{path}", headers=clerk)
        assert response.status_code == 422 and response.json()["code"].startswith("number.")


@pytest.mark.parametrize(
    ("copies", "accepted"),
    [(3, True), ("3", False), (True, False), (3.0, False), ("３", False), (0, False)],
)
def test_copies_must_be_a_json_integer(api: TestClient, copies: object, accepted: bool) -> None:
    auth = _login(api)
    response = _issue(api, auth, "api-copies-001", copies=copies)
    if accepted:
        assert response.status_code == 201 and response.json()["fee"]["amount"] == 0
    else:
        assert _problem(response, 422, "request.invalid")["errors"][0]["loc"] == [
            "body",
            "copies",
        ]


def test_yes_no_answers_must_be_json_booleans(api: TestClient, world: World) -> None:
    person = _me(world, "citizen3")
    clerk = _login(api, "clerk", "clerk")
    for said in ("yes", "true", 1):
        response = _issue(api, clerk, "api-flag-0001", requester=_walk_in(person, id_checked=said))
        _problem(response, 422, "request.invalid")
    for value in ("true", 1):
        response = _issue(api, _login(api), "api-flag-0002", items={"rrn_back": value})
        assert response.status_code == 422


def test_an_unknown_item_or_value_is_422_not_a_refusal(api: TestClient) -> None:
    auth = _login(api)
    unknown = _problem(
        _issue(api, auth, "api-item-0001", items={"blood_type": True}), 422, "item.unknown"
    )
    assert "blood_type" in unknown["detail"]
    _problem(
        _issue(api, auth, "api-item-0002", items={"past_addresses": "forever"}),
        422,
        "item.invalid_value",
    )


# --- a number in free text ----------------------------------------------------------------


def _stored_text(world: World) -> str:
    """Everything free text could have gone into: issuances, their audit events."""
    with world.container.engine.connect() as conn:
        rows = conn.execute(select(t.issuances.c.void_reason)).all()
        rows += conn.execute(select(t.audit_events.c.purpose, t.audit_events.c.detail)).all()
    return repr(rows)


def test_a_number_in_a_purpose_is_refused_before_anything_is_stored(
    api: TestClient, world: World
) -> None:
    someone = _me(world, "citizen2")
    auth = _login(api)
    before = world.count(t.issuances)
    for n, written in enumerate(_rrn_forms(someone.rrn)):
        response = _issue(api, auth, f"api-purpose-{n:03d}", purpose=f"은행 제출 ({written})")
        body = _problem(response, 422, "input.rrn_in_free_text")
        assert body["field"] == "purpose" and "발급 목적에 주민등록번호를" in body["detail"]
        assert someone.rrn.replace("-", "") not in _digits(response.text)
    assert world.count(t.issuances) == before
    assert someone.rrn.replace("-", "") not in _digits(_stored_text(world))


def test_a_number_in_a_walk_ins_name_or_a_search_purpose_is_refused(
    api: TestClient, world: World
) -> None:
    person, someone = _me(world, "citizen3"), _me(world, "citizen2")
    clerk = _login(api, "clerk", "clerk")
    named = _issue(
        api, clerk, "api-name-0001", requester=_walk_in(person, name=f"김 {someone.rrn}"[:40])
    )
    assert _problem(named, 422, "input.rrn_in_free_text")["field"] == "name"
    search = api.post(
        f"{API}/residents/search",
        json={"purpose": f"{someone.rrn} 확인", "rrn": person.rrn},
        headers=clerk,
    )
    _problem(search, 422, "input.rrn_in_free_text")
    assert someone.rrn.replace("-", "") not in _digits(_stored_text(world))


def test_a_number_in_a_void_reason_is_refused_and_the_document_stays_valid(
    api: TestClient, world: World
) -> None:
    person, someone = _me(world, "citizen3"), _me(world, "citizen2")
    clerk = _login(api, "clerk", "clerk")
    number = _issue(api, clerk, "api-voidrrn-01", requester=_walk_in(person)).json()["number"]
    for written in _rrn_forms(someone.rrn):
        response = api.post(
            f"{API}/issuances/{number}/void", json={"reason": f"오발급 {written}"}, headers=clerk
        )
        assert (
            "취소 사유에 주민등록번호를"
            in _problem(response, 422, "input.rrn_in_free_text")["detail"]
        )
    assert api.get(f"{API}/verify/{number}").json()["status"] == "valid"
    assert someone.rrn.replace("-", "") not in _digits(_stored_text(world))
    with _clerk_pages(world) as pages:
        page = _page_post(
            pages,
            f"/counter/issuances/{number}",
            f"/counter/issuances/{number}/void",
            {"reason": f"오발급 {someone.rrn}"},
        )
        assert page.status_code == 422 and "input.rrn_in_free_text" in page.text
        assert someone.rrn.replace("-", "") not in _digits(page.text)


def test_the_counter_issue_form_refuses_a_number_in_its_purpose(world: World) -> None:
    person, someone = _me(world, "citizen3"), _me(world, "citizen2")
    before = world.count(t.issuances)
    with _clerk_pages(world) as pages:
        page = _page_post(
            pages,
            f"/counter/issue?resident_id={person.id}&doc=deungbon",
            "/counter/issue",
            {
                "doc": "deungbon",
                "resident_id": person.id,
                "requester_is_subject": "1",
                "id_checked": "1",
                "purpose": f"제출용 {someone.rrn.replace('-', ' ')}",
                "idempotency_key": "counter-page-rrn-0001",
            },
        )
    assert page.status_code == 422 and "발급 목적에 주민등록번호를" in page.text
    assert world.count(t.issuances) == before


# --- problem bodies -----------------------------------------------------------------------


def test_no_problem_body_echoes_a_number_from_the_path(api: TestClient, world: World) -> None:
    someone = _me(world, "citizen2")
    digits = someone.rrn.replace("-", "")
    clerk = _login(api, "clerk", "clerk")
    for written in _rrn_forms(someone.rrn):
        for path in (
            f"{API}/issuances/{written}",
            f"{API}/issuances/{written}/pdf",
            f"{API}/verify/{written}",
            f"{API}/no-such-thing/{written}",
        ):
            response = api.get(path, headers=clerk)
            assert response.status_code in (404, 422), (path, response.text)
            body = response.json()
            assert digits not in _digits(response.text), path
            assert body["instance"] == without_rrns(path)
    items = _issue(api, _login(api), "api-itemrrn-01", items={digits: True})
    assert digits not in _digits(_problem(items, 422, "item.unknown")["detail"])
    assert digits not in _digits(items.text)


def test_an_unknown_well_formed_number_is_still_404(api: TestClient) -> None:
    number = new_number()
    _problem(api.get(f"{API}/verify/{number}"), 404, "verify.not_found")
