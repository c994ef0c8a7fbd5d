"""The pages over HTTP without a browser (TestClient on the real app, SQLite).

CSRF rejection, cookie flags, the Content-Security-Policy, the verification page's typo
check, HTML error pages under page routes while ``/api`` stays problem+json, and the
readable 429 page. These run without Chromium, so they run everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from minwon.bootstrap import bootstrap
from minwon.clock import FixedClock
from minwon.demo import DEMO_KIOSK_KEY, DEMO_PASSWORD
from minwon.issuance.numbers import display, new_number
from minwon.web.app import create_app
from support.rrn_leaks import assert_no_full_number
from support.world import World

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the pages add no SQL of their own; the API tests cover PostgreSQL


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), follow_redirects=False) as c:
        yield c


def _token(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    found = TOKEN.search(response.text)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def _sign_in(client: TestClient, username: str = "citizen1", area: str = "portal") -> None:
    token = _token(client, f"/{area}/login")
    response = client.post(
        f"/{area}/login",
        data={"csrf_token": token, "username": username, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 303, response.text


def _is_html_error(response: object, status: int) -> str:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("text/html")  # type: ignore[attr-defined]
    text: str = response.text  # type: ignore[attr-defined]
    assert '<html lang="ko">' in text
    assert_no_full_number(text, "error page")
    return text


def test_a_form_without_its_csrf_token_gets_a_readable_403(client: TestClient) -> None:
    client.get("/portal/login")
    response = client.post(
        "/portal/login", data={"username": "citizen1", "password": DEMO_PASSWORD}
    )
    text = _is_html_error(response, 403)
    assert "보안 확인에 실패했습니다" in text and "csrf.invalid" in text
    assert "minwon_session" not in response.headers.get("set-cookie", "")


def test_a_token_from_another_browser_is_refused(world: World, client: TestClient) -> None:
    with TestClient(create_app(world.container), follow_redirects=False) as other:
        stolen = _token(other, "/portal/login")
    client.get("/portal/login")
    response = client.post(
        "/portal/login",
        data={"csrf_token": stolen, "username": "citizen1", "password": DEMO_PASSWORD},
    )
    _is_html_error(response, 403)


def test_a_cross_origin_post_is_refused_even_with_a_token(client: TestClient) -> None:
    token = _token(client, "/portal/login")
    response = client.post(
        "/portal/login",
        data={"csrf_token": token, "username": "citizen1", "password": DEMO_PASSWORD},
        headers={"Origin": "http://attacker.example"},
    )
    _is_html_error(response, 403)


def test_a_token_is_bound_to_the_session_it_was_rendered_for(client: TestClient) -> None:
    before_login = _token(client, "/portal/login")
    _sign_in(client)
    response = client.post("/portal/logout", data={"csrf_token": before_login})
    _is_html_error(response, 403)
    response = client.post("/portal/logout", data={"csrf_token": _token(client, "/portal")})
    assert response.status_code == 303


def test_session_cookies_are_httponly_and_samesite_and_secure_only_over_tls(
    world: World, client: TestClient
) -> None:
    token = _token(client, "/portal/login")
    response = client.post(
        "/portal/login",
        data={"csrf_token": token, "username": "citizen1", "password": DEMO_PASSWORD},
    )
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("minwon_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie

    with TestClient(
        create_app(world.container), base_url="https://testserver", follow_redirects=False
    ) as tls:
        first = tls.get("/portal/login")
        assert "secure" in first.headers["set-cookie"].lower()  # the CSRF nonce cookie
        found = TOKEN.search(first.text)
        assert found
        response = tls.post(
            "/portal/login",
            data={"csrf_token": found.group(1), "username": "citizen1", "password": DEMO_PASSWORD},
        )
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie


def test_pages_and_the_api_carry_a_content_security_policy(client: TestClient) -> None:
    for path in ("/", "/verify", "/portal/login", "/kiosk/setup", "/api/v1/catalog"):
        policy = client.get(path).headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "form-action 'self'" in policy
    page = client.get("/portal/login").text
    assert "<script>" not in page and " style=" not in page  # nothing inline to allow


def test_the_verification_page_catches_a_typo_before_the_lookup(
    world: World, client: TestClient
) -> None:
    number = new_number()
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    text = _is_html_error(client.get(f"/verify?number={display(typo)}"), 422)
    assert "문서확인번호가 올바르지 않습니다" in text and "number.check_digit" in text
    assert _is_html_error(client.get("/verify?number=12"), 422).count("숫자 16자리") >= 1
    # A well-formed number that was never issued is a different answer.
    assert "verify.not_found" in _is_html_error(client.get(f"/verify?number={number}"), 404)


def test_errors_are_html_under_pages_and_problem_json_under_the_api(
    client: TestClient,
) -> None:
    assert "페이지를 찾을 수 없습니다" in _is_html_error(client.get("/portal/no-such-page"), 404)
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")
    unauthorised = client.get("/api/v1/issuances")
    assert unauthorised.headers["content-type"].startswith("application/problem+json")
    _sign_in(client)
    text = _is_html_error(client.get("/portal/issuances/1234"), 422)
    assert "number.format" in text


def test_a_signed_out_visitor_is_sent_to_the_sign_in_page(client: TestClient) -> None:
    response = client.get("/portal/issuances")
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/login?next=/portal/issuances"
    assert client.get("/counter").headers["location"].startswith("/counter/login")


def test_too_many_sign_in_attempts_get_a_readable_429(world: World) -> None:
    settings = world.container.settings.with_changes(login_rate_per_minute=2)
    container = bootstrap(settings, clock=FixedClock(world.clock.now()))
    try:
        with TestClient(create_app(container), follow_redirects=False) as client:
            statuses = []
            for _ in range(3):
                token = _token(client, "/portal/login")
                response = client.post(
                    "/portal/login",
                    data={"csrf_token": token, "username": "citizen2", "password": "wrong"},
                )
                statuses.append(response.status_code)
            assert statuses == [401, 401, 429]
            text = _is_html_error(response, 429)
            assert "요청이 너무 많습니다" in text
            assert int(response.headers["retry-after"]) > 0
    finally:
        container.close()


def test_a_resubmitted_request_form_issues_one_document(client: TestClient) -> None:
    _sign_in(client)
    page = client.get("/portal/documents/deungbon").text
    token = TOKEN.search(page)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert token and key
    form = {"csrf_token": token.group(1), "idempotency_key": key.group(1)}
    first = client.post("/portal/documents/deungbon", data=form)
    second = client.post("/portal/documents/deungbon", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]


STAFF = {"staff_username": "supervisor", "staff_password": DEMO_PASSWORD}


def test_the_kiosk_device_key_stays_in_an_encrypted_cookie(client: TestClient) -> None:
    token = _token(client, "/kiosk/setup")
    response = client.post(
        "/kiosk/setup",
        data={"csrf_token": token, "device_id": "kiosk-01", "device_key": DEMO_KIOSK_KEY, **STAFF},
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("minwon_kiosk_device=")
    assert DEMO_KIOSK_KEY not in cookie and "kiosk-01" not in cookie
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    home = client.get("/kiosk")
    assert home.status_code == 200 and DEMO_KIOSK_KEY not in home.text
    wrong = client.post(
        "/kiosk/setup",
        data={
            "csrf_token": _token(client, "/kiosk/setup"),
            "device_id": "kiosk-01",
            "device_key": "guess",
            **STAFF,
        },
    )
    assert wrong.status_code == 401 and "기기 키가 맞지 않습니다" in wrong.text


def test_the_sensor_endpoint_exists_only_with_the_simulator(world: World) -> None:
    class RealSensor:
        def matches(self, *, rrn_digest: str, capture: str) -> bool:
            return False

    container = bootstrap(world.container.settings, biometrics=RealSensor())
    try:
        with TestClient(create_app(container), follow_redirects=False) as client:
            token = _token(client, "/kiosk/setup")
            bound = client.post(
                "/kiosk/setup",
                data={
                    "csrf_token": token,
                    "device_id": "kiosk-01",
                    "device_key": DEMO_KIOSK_KEY,
                    **STAFF,
                },
            )
            assert bound.status_code == 303, bound.text
            token = _token(client, "/kiosk/identify?doc=deungbon")
            response = client.post("/kiosk/sensor", data={"csrf_token": token, "rrn": "x"})
            assert "kiosk.sensor_unavailable" in _is_html_error(response, 404)
    finally:
        container.close()
