"""The JSON API over HTTP (TestClient on the real app), on SQLite and on PostgreSQL.

Every error answer any test here receives is checked by a response hook: it must be
RFC 9457 problem+json and must not carry anything that looks like a full 주민등록번호.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from minwon.adapters import tables as t
from minwon.bootstrap import Container, bootstrap
from minwon.clock import KST, FixedClock
from minwon.demo import DEMO_KIOSK_KEY, DEMO_PASSWORD
from minwon.issuance.numbers import new_number
from minwon.registry.model import Resident
from minwon.web.app import create_app
from support.rrn_leaks import assert_no_full_number
from support.world import World

API = "/api/v1"
PROBLEM = "application/problem+json"
HANGUL = re.compile(r"[가-힣]")


def _check_error(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    response.read()
    assert response.headers["content-type"].startswith(PROBLEM), response.text
    assert_no_full_number(response.text, f"{response.request.url.path} answer")


def _client(container: Container) -> TestClient:
    client = TestClient(create_app(container))
    client.event_hooks = {"request": [], "response": [_check_error]}
    return client


@pytest.fixture
def api(world: World) -> Iterator[TestClient]:
    with _client(world.container) as client:
        yield client


@pytest.fixture
def strict_container(world: World) -> Iterator[Container]:
    """A second container on the same database, with tight rate limits and a frozen clock
    (so a minute boundary cannot fall between the hits of one test)."""
    settings = world.container.settings.with_changes(
        verify_rate_per_minute=3, login_rate_per_minute=2
    )
    container = bootstrap(settings, clock=FixedClock(world.clock.now()))
    try:
        yield container
    finally:
        container.close()


def _login(api: TestClient, username: str = "citizen1", kind: str = "citizen") -> dict[str, str]:
    response = api.post(
        f"{API}/auth/{kind}", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _issue(api: TestClient, auth: dict[str, str], key: str, **body: Any) -> httpx.Response:
    payload = {"document_type": "deungbon", **body}
    return api.post(f"{API}/issuances", json=payload, headers={**auth, "Idempotency-Key": key})


def _issued(api: TestClient, auth: dict[str, str], key: str, **body: Any) -> dict[str, Any]:
    response = _issue(api, auth, key, **body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def _me(world: World, username: str = "citizen1") -> Resident:
    return world.resident(world.citizen(username).resident_id or "")


def _kiosk_headers(key: str = DEMO_KIOSK_KEY) -> dict[str, str]:
    return {"X-Kiosk-Device": "kiosk-01", "X-Kiosk-Key": key}


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    return body


def _typo(number: str) -> str:
    """Returns the number with one digit changed (Damm catches every single-digit error)."""
    i = 7
    return number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1 :]


# --- issuing online ---------------------------------------------------------------------


def test_citizen_logs_in_and_issues_a_deungbon(api: TestClient, world: World) -> None:
    auth = _login(api)
    response = _issue(api, auth, "api-first-0001")
    assert response.status_code == 201, response.text
    body = response.json()
    assert len(body["number"]) == 16
    assert body["number_display"].replace("-", "") == body["number"]
    assert body["fee"] == {"amount": 0, "exemption": None}
    assert body["pdf_url"].endswith(f"/api/v1/issuances/{body['number']}/pdf")
    assert response.headers["Location"] == f"{API}/issuances/{body['number']}"
    assert response.headers["Idempotent-Replayed"] == "false"
    assert world.count(t.issuances) == 1 and world.count(t.fees) == 1


def test_retry_with_the_same_key_replays_the_same_document_and_charges_once(
    api: TestClient, world: World
) -> None:
    auth = _login(api)
    first = _issued(api, auth, "api-retry-0001")
    again = _issue(api, auth, "api-retry-0001")
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first["number"] and again.json()["replayed"] is True
    assert world.count(t.fees) == 1 and world.count(t.issuances) == 1


def test_same_key_with_a_different_body_is_a_key_reused_problem(
    api: TestClient, world: World
) -> None:
    auth = _login(api)
    _issued(api, auth, "api-reuse-0001")
    response = _issue(api, auth, "api-reuse-0001", items={"past_addresses": "all"})
    _problem(response, 422, "idempotency.key_reused")
    assert world.count(t.issuances) == 1


def test_issuing_without_an_idempotency_key_is_a_validation_problem(
    api: TestClient, world: World
) -> None:
    auth = _login(api)
    response = api.post(f"{API}/issuances", json={"document_type": "deungbon"}, headers=auth)
    body = _problem(response, 422, "request.invalid")
    assert any("Idempotency-Key" in e["loc"] for e in body["errors"]), body
    assert world.count(t.issuances) == 0


def test_wrong_password_is_a_401_problem_with_a_korean_detail(api: TestClient) -> None:
    response = api.post(
        f"{API}/auth/citizen", json={"username": "citizen1", "password": "not-the-password"}
    )
    body = _problem(response, 401, "auth.invalid_credentials")
    assert response.headers["content-type"] == PROBLEM
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert body["type"].endswith("auth.invalid_credentials")
    assert HANGUL.search(body["detail"]) and HANGUL.search(body["title"])


def test_citizen_asking_online_for_a_strangers_deungbon_is_refused_with_its_legal_basis(
    api: TestClient, world: World
) -> None:
    stranger = world.stranger_to(_me(world))
    response = _issue(api, _login(api), "api-refuse-001", subject_resident_id=stranger.id)
    body = _problem(response, 403, "entitlement.self_or_household_only")
    assert "29조" in body["basis"]
    assert HANGUL.search(body["detail"])
    assert world.count(t.issuances) == 0 and world.count(t.fees) == 0


def test_unknown_document_type_is_a_404_catalog_problem(api: TestClient) -> None:
    auth = _login(api)
    _problem(
        _issue(api, auth, "api-unknown-01", document_type="nosuchtype"), 404, "catalog.unknown_type"
    )
    _problem(api.get(f"{API}/catalog/nosuchtype"), 404, "catalog.unknown_type")
    codes = {d["code"] for d in api.get(f"{API}/catalog").json()}
    assert {"deungbon", "chobon", "geonchuk"} <= codes


def test_citizen_downloads_the_signed_pdf(api: TestClient) -> None:
    auth = _login(api)
    number = _issued(api, auth, "api-pdf-00001")["number"]
    response = api.get(f"{API}/issuances/{number}/pdf", headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    direct = api.post(
        f"{API}/issuances",
        json={"document_type": "deungbon"},
        headers={**auth, "Idempotency-Key": "api-pdf-00002", "Accept": "application/pdf"},
    )
    assert direct.status_code == 201
    assert direct.content.startswith(b"%PDF")
    assert len(direct.headers["Minwon-Document-Number"]) == 16


def test_another_citizen_can_neither_read_nor_download_someone_elses_issuance(
    api: TestClient,
) -> None:
    number = _issued(api, _login(api, "citizen1"), "api-other-0001")["number"]
    other = _login(api, "citizen2")
    _problem(api.get(f"{API}/issuances/{number}", headers=other), 404, "issuance.not_found")
    _problem(api.get(f"{API}/issuances/{number}/pdf", headers=other), 404, "issuance.not_found")
    assert api.get(f"{API}/issuances", headers=other).json() == []


# --- kiosk ------------------------------------------------------------------------------


def test_kiosk_with_device_key_and_matching_fingerprint_gets_a_session(
    api: TestClient, world: World
) -> None:
    me = _me(world)
    response = api.post(
        f"{API}/auth/kiosk",
        json={"rrn": me.rrn, "fingerprint": world.fingerprint(me)},
        headers=_kiosk_headers(),
    )
    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "kiosk"
    auth = {"Authorization": f"Bearer {response.json()['token']}"}
    who = api.get(f"{API}/auth/me", headers=auth).json()
    assert who["resident_id"] == me.id and who["channel"] == "kiosk"
    assert _issued(api, auth, "api-kiosk-0001")["fee"]["amount"] == 200


def test_kiosk_with_a_wrong_fingerprint_is_refused(api: TestClient, world: World) -> None:
    me = _me(world)
    wrong = world.fingerprint(world.stranger_to(me))
    response = api.post(
        f"{API}/auth/kiosk", json={"rrn": me.rrn, "fingerprint": wrong}, headers=_kiosk_headers()
    )
    _problem(response, 401, "kiosk.fingerprint_mismatch")


def test_kiosk_with_a_wrong_device_key_is_refused(api: TestClient, world: World) -> None:
    me = _me(world)
    response = api.post(
        f"{API}/auth/kiosk",
        json={"rrn": me.rrn, "fingerprint": world.fingerprint(me)},
        headers=_kiosk_headers("not-the-kiosk-key"),
    )
    _problem(response, 401, "kiosk.device_unknown")


# --- the counter ------------------------------------------------------------------------


def test_clerk_finds_residents_by_name_and_birth_date_or_by_number_masked_and_audited(
    api: TestClient, world: World
) -> None:
    person = _me(world, "citizen2")
    auth = _login(api, "clerk", "clerk")
    by_name = api.post(
        f"{API}/residents/search",
        json={
            "purpose": "창구 발급 신청인 확인",
            "name": person.name,
            "birth_date": person.birth_date.isoformat(),
        },
        headers=auth,
    )
    by_rrn = api.post(
        f"{API}/residents/search",
        json={"purpose": "창구 발급 신청인 확인", "rrn": person.rrn},
        headers=auth,
    )
    digits = person.rrn.replace("-", "")
    for response in (by_name, by_rrn):
        assert response.status_code == 200, response.text
        assert person.id in [r["id"] for r in response.json()]
        assert all(r["rrn_masked"].endswith("******") for r in response.json())
        assert digits not in response.text and f"{digits[:6]}-{digits[6:]}" not in response.text
        assert_no_full_number(response.text, "resident search")
    with world.container.uows(readonly=True) as uow:
        lookups = uow.audit.events(action="lookup")
    assert len(lookups) == 2
    assert {e.detail["method"] for e in lookups} == {"name_birth", "rrn"}  # type: ignore[index]
    assert all(e.purpose == "창구 발급 신청인 확인" for e in lookups)
    assert digits not in repr(lookups)


def test_clerk_issues_for_a_walk_in_whose_id_was_checked_for_400_won(
    api: TestClient, world: World
) -> None:
    person = _me(world, "citizen3")
    auth = _login(api, "clerk", "clerk")
    body = _issued(
        api,
        auth,
        "api-counter-01",
        requester={"name": person.name, "rrn": person.rrn, "id_checked": True},
    )
    assert body["fee"]["amount"] == 400 and body["channel"] == "counter"
    office = api.get(f"{API}/auth/me", headers=auth).json()["office_code"]
    assert body["office_code"] == office


def test_clerk_voids_with_a_reason_and_the_document_then_verifies_as_voided(
    api: TestClient, world: World
) -> None:
    person = _me(world, "citizen3")
    auth = _login(api, "clerk", "clerk")
    requester = {"name": person.name, "rrn": person.rrn, "id_checked": True}
    number = _issued(api, auth, "api-void-00001", requester=requester)["number"]
    response = api.post(
        f"{API}/issuances/{number}/void", json={"reason": "신청인 요청으로 취소"}, headers=auth
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "voided"
    verdict = api.get(f"{API}/verify/{number}").json()
    assert verdict["status"] == "voided" and verdict["voided_at"]
    again = api.post(
        f"{API}/issuances/{number}/void", json={"reason": "두 번째 취소"}, headers=auth
    )
    _problem(again, 409, "void.already_voided")


def _at_kst(world: World, at: time) -> None:
    """Moves the world's clock to ``at`` (KST) tomorrow."""
    now = datetime.now(UTC)
    target = datetime.combine(now.astimezone(KST).date() + timedelta(days=1), at, tzinfo=KST)
    world.clock.offset = target - now


# 00:30 KST is the previous day in UTC: the day's register must still list the issuance.
@pytest.mark.parametrize("kst", [time(0, 30), time(14, 0)], ids=["0030KST", "1400KST"])
def test_the_register_of_the_clerks_office_lists_the_days_issuance(
    api: TestClient, world: World, kst: time
) -> None:
    _at_kst(world, kst)
    person = _me(world, "citizen3")
    auth = _login(api, "clerk", "clerk")
    requester = {"name": person.name, "rrn": person.rrn, "id_checked": True}
    number = _issued(api, auth, "api-register-1", requester=requester)["number"]
    office = api.get(f"{API}/auth/me", headers=auth).json()["office_code"]
    response = api.get(f"{API}/offices/{office}/register", headers=auth)
    assert response.status_code == 200, response.text
    entries = {e["number"]: e for e in response.json()}
    assert entries[number]["fee"] == 400 and entries[number]["status"] == "valid"
    deokjin = _login(api, "clerk-deokjin", "clerk")
    _problem(
        api.get(f"{API}/offices/{office}/register", headers=deokjin),
        403,
        "register.other_office",
    )


def test_citizen_cannot_void_a_document(api: TestClient) -> None:
    auth = _login(api)
    number = _issued(api, auth, "api-novoid-001")["number"]
    response = api.post(
        f"{API}/issuances/{number}/void", json={"reason": "내가 취소하고 싶음"}, headers=auth
    )
    _problem(response, 403, "auth.clerk_only")
    assert api.get(f"{API}/verify/{number}").json()["status"] == "valid"


# --- public verification ----------------------------------------------------------------


def test_anyone_verifies_a_number_without_login_and_sees_a_masked_subject(
    api: TestClient,
) -> None:
    issued = _issued(api, _login(api), "api-verify-001")
    for form in (issued["number"], issued["number_display"]):
        response = api.get(f"{API}/verify/{form}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "valid" and body["number"] == issued["number_display"]
        assert "*" in body["subject"]
        assert body["content_hash"] == issued["content_hash"]


def test_a_mistyped_number_fails_its_check_digit(api: TestClient) -> None:
    issued = _issued(api, _login(api), "api-typo-00001")
    _problem(api.get(f"{API}/verify/{_typo(issued['number'])}"), 422, "number.check_digit")


def test_an_unknown_well_formed_number_is_not_found(api: TestClient) -> None:
    _problem(api.get(f"{API}/verify/{new_number()}"), 404, "verify.not_found")


def test_verification_is_rate_limited_with_retry_after(
    world: World, strict_container: Container
) -> None:
    number = new_number()
    with _client(strict_container) as client:
        statuses = [client.get(f"{API}/verify/{number}").status_code for _ in range(3)]
        limited = client.get(f"{API}/verify/{number}")
    assert statuses == [404, 404, 404]
    _problem(limited, 429, "rate_limited")
    assert 0 < int(limited.headers["Retry-After"]) <= 60


def test_login_is_rate_limited_per_account(world: World, strict_container: Container) -> None:
    with _client(strict_container) as client:
        wrong = {"username": "citizen4", "password": "guess-again"}
        statuses = [client.post(f"{API}/auth/citizen", json=wrong).status_code for _ in range(2)]
        limited = client.post(
            f"{API}/auth/citizen", json={"username": "citizen4", "password": DEMO_PASSWORD}
        )
    assert statuses == [401, 401]
    _problem(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) > 0


# --- operations and publication ---------------------------------------------------------


def test_openapi_document_lists_the_main_paths(api: TestClient) -> None:
    paths = api.get(f"{API}/openapi.json").json()["paths"]
    for path in (
        "/auth/citizen",
        "/auth/clerk",
        "/auth/kiosk",
        "/catalog",
        "/issuances",
        "/issuances/{number}/pdf",
        "/issuances/{number}/void",
        "/verify/{number}",
        "/trust-bundle",
        "/residents/search",
    ):
        assert f"{API}{path}" in paths, path


def test_published_trust_bundle_names_the_root_and_the_token_keys(api: TestClient) -> None:
    bundle = api.get(f"{API}/trust-bundle").json()
    assert bundle["format"] == "minwon-trust-bundle/1"
    assert [k["alg"] for k in bundle["token_keys"]] == ["Ed25519"]
    assert bundle["token_keys"][0]["kid"] and bundle["token_keys"][0]["retired_at"] is None
    assert "BEGIN CERTIFICATE" in bundle["roots"][0]["pem"]
    text = json.dumps(bundle)
    assert "PRIVATE" not in text and "pepper" not in text


def test_health_and_readiness_answer_200(api: TestClient) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_the_path_check_echo_returns_the_exact_body_as_a_download(api: TestClient) -> None:
    body = bytes(range(256)) * 16  # 4 KB, every byte value: nothing is decoded or changed
    echoed = api.post("/healthz/echo", content=body)
    assert echoed.status_code == 200 and echoed.content == body
    assert echoed.headers["content-type"] == "application/octet-stream"
    assert echoed.headers["content-disposition"] == "attachment"
    assert echoed.headers["x-content-type-options"] == "nosniff"  # never rendered as a page
    assert api.post("/healthz/echo", content=b"").content == b""


def test_the_path_check_echo_is_held_to_the_body_limit(api: TestClient) -> None:
    _problem(api.post("/healthz/echo", content=b"x" * (64 * 1024 + 1)), 413, "request.too_large")


def test_unknown_paths_and_missing_logins_are_problems_too(api: TestClient) -> None:
    _problem(api.get(f"{API}/no-such-thing"), 404, "http.not_found")
    _problem(api.get(f"{API}/issuances"), 401, "auth.required")
    _problem(
        api.get(f"{API}/issuances", headers={"Authorization": "Bearer forged"}),
        401,
        "auth.session_invalid",
    )
