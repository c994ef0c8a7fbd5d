"""The release probe against the real app over HTTP (in-process), healthy and broken.

Given the probe installed in a registry: ``run_probe`` passes against the app as built;
it fails, naming the check and the reason, against an app whose PDFs are corrupt, whose
entitlement rule lets the probe have another household's 초본, or whose verification
forgets the probe mark. Nobody can make their own document a probe through the API, and
the verification page tells a person plainly that a probe document has no legal effect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from minwon.adapters.probe_fixtures import install_probe
from minwon.demo import DEMO_PASSWORD
from minwon.identity.passwords import hash_password
from minwon.issuance import entitlement
from minwon.issuance.model import Permit
from minwon.operations.release.probe import Outcome, ProbeCredentials, ProbeResult, run_probe
from minwon.web.app import create_app
from support.world import World

API = "/api/v1"
PASSWORD = "probe-password-for-tests"
Asgi = Callable[..., Any]


@pytest.fixture
def installed(world: World) -> World:
    install_probe(
        world.container.engine, world.container.vault, password_hash=hash_password(PASSWORD)
    )
    return world


def _probe(app: Asgi) -> ProbeResult:
    with TestClient(app) as client:
        return run_probe(
            "http://testserver",
            ProbeCredentials(password=PASSWORD),
            transport=client._transport,  # the app in this process, without a socket
        )


def _failed(result: ProbeResult) -> tuple[str, str]:
    failed = result.failed_check
    assert failed is not None and not result.passed, result
    assert failed.message and all(
        c.outcome is Outcome.SKIPPED for c in result.checks[result.checks.index(failed) + 1 :]
    )
    return failed.name, result.code


@pytest.fixture
def api(installed: World) -> Iterator[TestClient]:
    with TestClient(create_app(installed.container)) as client:
        yield client


def test_the_probe_passes_against_the_app_as_built(installed: World) -> None:
    result = _probe(create_app(installed.container))
    assert result.passed, result
    assert [c.name for c in result.checks] == ["sign_in", "issue", "pdf", "verify", "entitlement"]
    assert result.code == "probe.passed" and result.number is not None
    assert all(c.seconds >= 0 for c in result.checks)


def _rewriting_responses(app: Asgi, content_type: bytes, change: Callable[[bytes], bytes]) -> Asgi:
    """Wraps ``app`` so that bodies of ``content_type`` are changed (a broken build)."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        matched = False

        async def sending(message: dict[str, Any]) -> None:
            nonlocal matched
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                matched = headers.get(b"content-type", b"").startswith(content_type)
                if matched:  # the length may change
                    message = {
                        **message,
                        "headers": [
                            (k, v) for k, v in message["headers"] if k != b"content-length"
                        ],
                    }
            elif message["type"] == "http.response.body" and matched and message.get("body"):
                message = {**message, "body": change(message["body"])}
            await send(message)

        await app(scope, receive, sending)

    return wrapped


def _flip_middle(body: bytes) -> bytes:
    middle = len(body) // 2
    return body[:middle] + bytes(b ^ 0x55 for b in body[middle : middle + 64]) + body[middle + 64 :]


@pytest.mark.parametrize(
    "change",
    [
        _flip_middle,  # bytes damaged inside the signed range
        lambda body: body[: len(body) // 2],  # cut short
        lambda body: b"",  # empty
    ],
    ids=["flipped", "truncated", "empty"],
)
def test_the_probe_fails_on_a_build_whose_pdf_is_corrupt(
    installed: World, change: Callable[[bytes], bytes]
) -> None:
    app = _rewriting_responses(create_app(installed.container), b"application/pdf", change)
    name, code = _failed(_probe(app))
    assert name == "pdf" and code.startswith("probe.pdf_"), code


def test_the_probe_fails_on_a_build_whose_entitlement_rule_is_wrong(
    installed: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = entitlement.decide

    def lenient(request: Any) -> Any:  # the bug: anyone gets anyone's 초본 online
        decision = real(request)
        if isinstance(decision, Permit):
            return decision
        return Permit("self", dict(request.items), False, False, "버그")

    monkeypatch.setattr(entitlement, "decide", lenient)
    name, code = _failed(_probe(create_app(installed.container)))
    assert (name, code) == ("entitlement", "probe.entitlement_not_enforced")


def test_the_probe_fails_when_verification_forgets_the_probe_mark(installed: World) -> None:
    def as_valid(body: bytes) -> bytes:
        return body.replace(b'"status":"probe"', b'"status":"valid"')

    app = _rewriting_responses(create_app(installed.container), b"application/json", as_valid)
    name, code = _failed(_probe(app))
    assert (name, code) == ("verify", "probe.verify_not_marked")


def test_the_probe_fails_with_a_wrong_password(installed: World) -> None:
    with TestClient(create_app(installed.container)) as client:
        result = run_probe(
            "http://testserver", ProbeCredentials(password="wrong"), transport=client._transport
        )
    assert _failed(result) == ("sign_in", "probe.sign_in_failed")
    assert result.number is None


def test_a_citizen_cannot_make_their_document_a_probe(api: TestClient) -> None:
    token = api.post(
        f"{API}/auth/citizen", json={"username": "citizen1", "password": DEMO_PASSWORD}
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    for extra in ({"probe": True}, {"probe_mark": "x"}, {"office_code": "PROBE"}):
        refused = api.post(
            f"{API}/issuances",
            json={"document_type": "chobon", **extra},
            headers={**auth, "Idempotency-Key": f"citizen-probe-{len(str(extra))}"},
        )
        assert refused.status_code == 422, refused.text
    issued = api.post(
        f"{API}/issuances",
        json={"document_type": "chobon"},
        headers={**auth, "Idempotency-Key": "citizen-real-0001", "Minwon-Probe": "1"},
    )
    assert issued.status_code == 201 and issued.json()["probe"] is False
    answer = api.get(f"{API}/verify/{issued.json()['number']}").json()
    assert answer["status"] == "valid" and answer["probe"] is False


def test_the_verify_api_and_page_say_a_probe_document_has_no_legal_effect(
    api: TestClient,
) -> None:
    token = api.post(
        f"{API}/auth/citizen", json={"username": "minwon-probe", "password": PASSWORD}
    ).json()["token"]
    issued = api.post(
        f"{API}/issuances",
        json={"document_type": "chobon"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "probe-http-0001"},
    ).json()
    assert issued["probe"] is True and issued["fee"]["amount"] == 0
    answer = api.get(f"{API}/verify/{issued['number']}").json()
    assert answer["status"] == "probe" and answer["probe"] is True
    assert "법적 효력이 없습니다" in answer["status_label"]
    assert answer["attestation"]["signature"]  # signed like any status answer
    assert answer.get("document") is None  # a probe's content is never shown as a document
    page = api.get("/verify", params={"number": issued["number"]})
    assert page.status_code == 200
    assert "시험 발급 문서입니다. 법적 효력이 없습니다." in page.text
    assert "유효한 문서입니다" not in page.text
