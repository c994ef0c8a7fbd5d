"""What a release compares: the traffic an instance reports on /metrics, read back.

Requests go through the real app; the canary's reader (operations/release/metrics.py)
must count what people sent, errors included, and leave health checks out. A reader
that counts nothing would let a canary that fails every request pass as "quiet".
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from minwon.demo import DEMO_PASSWORD
from minwon.operations.release.metrics import parse_traffic
from minwon.web.app import create_app
from support.world import World

API = "/api/v1"


@pytest.fixture
def api(world: World) -> Iterator[TestClient]:
    # The canary reads /metrics from the instance's own host: a loopback client.
    app = create_app(world.container)
    with TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 50000)) as client:
        yield client


def test_people_s_requests_and_their_errors_are_counted_health_checks_are_not(
    api: TestClient,
) -> None:
    before = parse_traffic(api.get("/metrics").text)
    token = api.post(
        f"{API}/auth/citizen", json={"username": "citizen1", "password": DEMO_PASSWORD}
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for i in range(3):
        issued = api.post(
            f"{API}/issuances",
            json={"document_type": "deungbon"},
            headers={**headers, "Idempotency-Key": f"traffic-{i:04d}"},
        )
        assert issued.status_code == 201, issued.text
    assert api.get(f"{API}/issuances/NOPE", headers=headers).status_code == 422  # refused
    for _ in range(5):
        api.get("/healthz")
        api.get("/readyz")
        api.post("/healthz/echo", content=b"x" * 4096)
    after = parse_traffic(api.get("/metrics").text)
    served = after - before
    assert served.requests == 5  # sign-in, 3 issuances, one refused; no health check
    assert served.errors == 0 and served.seconds > 0


def test_a_server_error_is_counted_as_one(api: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from minwon.web.api import issuance

    token = api.post(
        f"{API}/auth/citizen", json={"username": "citizen1", "password": DEMO_PASSWORD}
    ).json()["token"]
    before = parse_traffic(api.get("/metrics").text)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug in this build")

    monkeypatch.setattr(issuance, "issue_document", broken)
    failed = api.post(
        f"{API}/issuances",
        json={"document_type": "deungbon"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "traffic-err-0001"},
    )
    assert failed.status_code == 500
    served = parse_traffic(api.get("/metrics").text) - before
    assert (served.requests, served.errors) == (1, 1)
