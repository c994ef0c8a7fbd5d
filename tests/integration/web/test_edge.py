"""What the app takes from the network before any route (issue 10, item 4): the request
body limit, forwarding headers only from trusted proxies, Secure cookies and HSTS over
HTTPS. TestClient on the real app; the timing under a real server is in
tests/e2e/test_body_limit.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from ipaddress import ip_network
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from minwon.adapters import tables as t
from minwon.bootstrap import Container, bootstrap
from minwon.config import Settings, SettingsError
from minwon.demo import DEMO_PASSWORD
from minwon.web.app import create_app
from support.world import World

API = "/api/v1"
LIMIT = 64 * 1024
PROXY = ("10.0.0.2", 44321)
CLIENT = "198.51.100.9"


@pytest.fixture
def backend() -> str:
    return "sqlite"  # nothing here reaches SQL of its own


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), follow_redirects=False) as c:
        yield c


def _container(world: World, **changes: Any) -> Container:
    return bootstrap(world.container.settings.with_changes(**changes), clock=world.clock)


def _too_large(response: Any) -> dict[str, Any]:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["connection"] == "close"
    body: dict[str, Any] = response.json()
    assert body["code"] == "request.too_large" and "KB 이하로" in body["detail"]
    return body


# --- the body limit ---------------------------------------------------------------------


def test_an_unauthenticated_json_body_past_64_kb_is_refused_before_it_is_parsed(
    client: TestClient,
) -> None:
    junk = b"{" + b" " * LIMIT + b"not json"  # a parser would say 422: nothing parsed it
    response = client.post(
        f"{API}/auth/citizen", content=junk, headers={"content-type": "application/json"}
    )
    body = _too_large(response)
    assert body["limit_bytes"] == LIMIT and body["instance"] == f"{API}/auth/citizen"
    assert response.headers["x-content-type-options"] == "nosniff"  # the edge's headers too
    big = {"username": "citizen1", "password": "x" * (50 * 1024 * 1024)}
    _too_large(client.post(f"{API}/auth/citizen", json=big))


def test_a_chunked_body_is_cut_off_at_the_limit_too(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"username": "citizen1", "password": "'
        for _ in range(64):
            yield b"x" * 16 * 1024
        yield b'"}'

    response = client.post(
        f"{API}/auth/citizen", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    _too_large(response)


def test_a_body_within_the_limit_is_answered_as_before(client: TestClient) -> None:
    padded = {"username": "citizen1", "password": "x" * 200, "pad": "y" * (LIMIT - 1000)}
    response = client.post(f"{API}/auth/citizen", json=padded)
    assert len(response.request.content) < LIMIT
    assert response.status_code == 422  # read and parsed: "pad" is not a field
    assert (
        client.post(
            f"{API}/auth/citizen", json={"username": "citizen1", "password": DEMO_PASSWORD}
        ).status_code
        == 200
    )


def test_the_limit_is_a_setting(world: World) -> None:
    container = _container(world, max_body_bytes=1024)
    try:
        with TestClient(create_app(container)) as small:
            body = {"username": "citizen1", "password": "x" * 2000}
            assert _too_large(small.post(f"{API}/auth/citizen", json=body))["limit_bytes"] == 1024
            body = {"username": "citizen1", "password": "x" * 190}
            assert small.post(f"{API}/auth/citizen", json=body).status_code == 401
    finally:
        container.close()
    assert Settings.from_env({"MINWON_MAX_BODY_BYTES": "2048"}).web.max_body_bytes == 2048


def test_uploads_keep_their_own_5_mb_limit(client: TestClient) -> None:
    not_a_pdf = b"%PDF-1.7\n" + b"0" * (200 * 1024)  # past 64 KB, well within 5 MB
    response = client.post(
        f"{API}/verify/pdf", content=not_a_pdf, headers={"content-type": "application/pdf"}
    )
    assert response.status_code not in (413, 500), response.text
    huge = b"%PDF-1.7\n" + b"0" * (6 * 1024 * 1024)
    response = client.post(
        f"{API}/verify/pdf", content=huge, headers={"content-type": "application/pdf"}
    )
    assert response.status_code == 413 and response.json()["code"] == "verify.upload_too_large"


def test_a_page_form_past_the_limit_gets_a_readable_413_page(client: TestClient) -> None:
    response = client.post("/portal/login", data={"username": "a" * (LIMIT + 10)})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "요청 내용이 너무 큽니다" in response.text and "request.too_large" in response.text


# --- who is calling: forwarding headers ---------------------------------------------------


def _signed_in_from(container: Container, username: str) -> set[str]:
    """Returns the addresses ``username`` has signed in from (identity/signin.py)."""
    table = t.sign_in_guards
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(table.c.source).where(
                table.c.username == username, table.c.last_success_at.is_not(None)
            )
        )
        return set(rows.scalars())


def _sign_in(client: TestClient, username: str, **headers: str) -> Any:
    response = client.post(
        f"{API}/auth/citizen",
        json={"username": username, "password": DEMO_PASSWORD},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response


def test_forwarding_headers_from_anyone_but_a_trusted_proxy_are_ignored(world: World) -> None:
    assert world.container.settings.web.trusted_proxies == ()  # the default: none
    with TestClient(create_app(world.container), client=("203.0.113.50", 1)) as c:
        response = _sign_in(
            c, "citizen1", **{"X-Forwarded-For": "10.9.9.9", "X-Forwarded-Proto": "https"}
        )
        assert "strict-transport-security" not in response.headers
        page = c.get("/portal/login", headers={"X-Forwarded-Proto": "https"})
        assert "secure" not in page.headers["set-cookie"].lower()
    assert _signed_in_from(world.container, "citizen1") == {"203.0.113.50"}


def test_a_trusted_proxy_names_the_client_and_the_scheme(world: World) -> None:
    container = _container(world, trusted_proxies=(ip_network("10.0.0.0/8"),))
    try:
        with TestClient(create_app(container), client=PROXY, follow_redirects=False) as c:
            # The leftmost entry is whatever the client sent; the proxies appended the rest.
            forwarded = {"X-Forwarded-For": f"1.2.3.4, {CLIENT}, 10.0.0.3"}
            response = _sign_in(c, "citizen2", **forwarded, **{"X-Forwarded-Proto": "https"})
            assert response.headers["strict-transport-security"].startswith("max-age=")
            page = c.get("/portal/login", headers={"X-Forwarded-Proto": "https"})
            assert "secure" in page.headers["set-cookie"].lower()
            assert "strict-transport-security" in page.headers
            plain = c.get("/portal/login", headers={"X-Forwarded-Proto": "http"})
            assert "strict-transport-security" not in plain.headers
            assert "secure" not in plain.headers["set-cookie"].lower()
        with TestClient(create_app(container), client=("192.0.2.77", 1)) as outsider:
            _sign_in(outsider, "citizen2", **{"X-Forwarded-For": "10.0.0.99"})
    finally:
        container.close()
    assert _signed_in_from(world.container, "citizen2") == {CLIENT, "192.0.2.77"}


def test_over_https_cookies_are_secure_and_hsts_is_sent(world: World) -> None:
    app = create_app(world.container)
    with TestClient(app, base_url="https://testserver") as tls:
        page = tls.get("/portal/login")
        assert "secure" in page.headers["set-cookie"].lower()
        assert page.headers["strict-transport-security"] == "max-age=31536000"
        assert "strict-transport-security" in tls.get(f"{API}/catalog").headers
    with TestClient(app) as plain:
        assert "strict-transport-security" not in plain.get("/portal/login").headers


def test_trusted_proxies_are_read_from_addresses_and_networks() -> None:
    env = {"MINWON_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.5 ,::1"}
    networks = Settings.from_env(env).web.trusted_proxies
    assert [str(n) for n in networks] == ["10.0.0.0/8", "192.168.1.5/32", "::1/128"]
    with pytest.raises(SettingsError) as bad:
        Settings.from_env({"MINWON_TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"})
    assert bad.value.extra["variable"] == "MINWON_TRUSTED_PROXIES"
    assert json.dumps(Settings.from_env({}).web.trusted_proxies) == "[]"
