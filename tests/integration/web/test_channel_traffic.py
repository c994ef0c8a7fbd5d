"""Every request through the real app is counted on the channel it served, and /metrics
shows the four new families with what was really sent (SQLite; the SQL is the traffic
log's, covered in tests/unit/availability).

A recorder that put a clerk's API call on the online channel, counted a health check, took
a refused form for an outage or a replayed issuance for a new document would make the
availability report lie; each of those is asserted here through real routes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from minwon.bootstrap import bootstrap
from minwon.clock import FixedClock
from minwon.config import Settings
from minwon.demo import DEMO_KIOSK_KEY, DEMO_PASSWORD
from minwon.errors import Unavailable
from minwon.issuance.numbers import display, new_number
from minwon.operations.availability.recorder import ChannelRecorder
from minwon.operations.availability.traffic import CHANNELS
from minwon.operations.incidents.model import Cause, Incident
from minwon.operations.incidents.store import SqlIncidents
from minwon.rendering.keys import init_keys
from minwon.web import deps
from minwon.web.api import auth, issuance, notices, registry, verification
from minwon.web.app import create_app
from minwon.web.pages import counter, kiosk, kiosk_setup, ops, oversight, portal, public, status
from minwon.web.pages import notices as notices_pages
from minwon.web.traffic import SIGN_IN, channel_of
from support.world import World

API = "/api/v1"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(world.container)
    with TestClient(app, follow_redirects=False, client=("127.0.0.1", 5000)) as c:
        yield c


def _recorder(client: TestClient) -> ChannelRecorder:
    recorder: ChannelRecorder = client.app.state.traffic  # type: ignore[attr-defined]
    return recorder


def _counts(client: TestClient) -> dict[str, tuple[int, int, int]]:
    """Returns (ok, failed, issued) per channel from the minutes not yet written."""
    counts = dict.fromkeys(CHANNELS, (0, 0, 0))
    for m in _recorder(client).unwritten():
        ok, failed, issued = counts[m.channel]
        counts[m.channel] = (ok + m.ok, failed + m.failed, issued + m.issued)
    return counts


def _login(client: TestClient, kind: str, username: str) -> dict[str, str]:
    response = client.post(
        f"{API}/auth/{kind}", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _issue(client: TestClient, auth: dict[str, str], key: str, **body: Any) -> int:
    response = client.post(
        f"{API}/issuances",
        json={"document_type": "deungbon", **body},
        headers={**auth, "Idempotency-Key": key},
    )
    return response.status_code


def _kiosk(client: TestClient, world: World) -> dict[str, str]:
    """Signs a resident in at kiosk-01 (ID number and fingerprint); returns its header."""
    me = world.resident(world.citizen("citizen3").resident_id or "")
    session = client.post(
        f"{API}/auth/kiosk",
        json={"rrn": me.rrn, "fingerprint": world.fingerprint(me)},
        headers={"X-Kiosk-Device": "kiosk-01", "X-Kiosk-Key": DEMO_KIOSK_KEY},
    )
    assert session.status_code == 200, session.text
    return {"Authorization": f"Bearer {session.json()['token']}"}


def _portal_form(client: TestClient) -> dict[str, str]:
    """Signs citizen2 in on the portal; returns the 등본 form's fields, ready to post."""
    token = TOKEN.search(client.get("/portal/login").text)
    assert token
    login = {"csrf_token": token.group(1), "username": "citizen2", "password": DEMO_PASSWORD}
    assert client.post("/portal/login", data=login).status_code == 303
    form = client.get("/portal/documents/deungbon").text
    token, key = TOKEN.search(form), re.search(r'name="idempotency_key" value="([^"]+)"', form)
    assert token and key
    return {"csrf_token": token.group(1), "idempotency_key": key.group(1)}


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def test_each_request_is_counted_on_the_channel_it_served(client: TestClient, world: World) -> None:
    # Not anyone's channel: never counted.
    for path in ("/healthz", "/readyz", "/metrics", "/static/site.css", f"{API}/openapi.json"):
        client.get(path)
    client.get(f"{API}/docs")
    assert _counts(client) == dict.fromkeys(CHANNELS, (0, 0, 0))

    # Pages, by area.
    assert client.get("/").status_code == 200  # home: online
    assert client.get("/portal/login").status_code == 200
    assert client.get("/counter/login").status_code == 200
    assert client.get("/kiosk/setup").status_code == 200
    assert client.get("/verify").status_code == 200
    assert _counts(client) == {
        "counter": (1, 0, 0),
        "kiosk": (1, 0, 0),
        "online": (2, 0, 0),
        "verification": (1, 0, 0),
    }

    # The API: verification routes, sign-ins, then by who calls.
    assert client.get(f"{API}/verify/{display(new_number())}").status_code == 404  # ok
    assert client.get(f"{API}/trust-bundle").status_code == 200
    clerk = _login(client, "clerk", "clerk")
    citizen = _login(client, "citizen", "citizen1")
    me = world.resident(world.citizen("citizen3").resident_id or "")
    assert (
        _issue(
            client,
            clerk,
            "traffic-counter-1",
            requester={"name": me.name, "rrn": me.rrn, "id_checked": True},
        )
        == 201
    )
    assert _issue(client, citizen, "traffic-online-01") == 201
    assert _issue(client, citizen, "traffic-online-01") == 200  # a replay: no new document
    assert _issue(client, citizen, "bad key!") == 422  # refused: ok, no attempt
    assert client.get(f"{API}/catalog").status_code == 200  # nobody signed in: online
    kiosk = _kiosk(client, world)
    assert _issue(client, kiosk, "traffic-kiosk-001") == 201
    assert client.get(f"{API}/issuances", headers=kiosk).status_code == 200

    # The portal's own form issues too (a page route, CSRF and all).
    done = client.post("/portal/documents/deungbon", data=_portal_form(client))
    assert done.status_code == 303, done.text

    assert _counts(client) == {
        # sign-in, issue
        "counter": (1 + 2, 0, 1),
        # sign-in, issue, list
        "kiosk": (1 + 3, 0, 1),
        # + sign-in, issue, replay, refused, catalog, login page, sign-in, form, issue
        "online": (2 + 9, 0, 2),
        # + the API lookup and the trust bundle
        "verification": (1 + 2, 0, 0),
    }
    assert _recorder(client).issuance_gap() == 0

    text = client.get("/metrics").text
    samples = _samples(text)
    assert (
        samples[("minwon_channel_requests_total", (("channel", "online"), ("outcome", "ok")))] == 11
    )
    assert (
        samples[("minwon_channel_requests_total", (("channel", "kiosk"), ("outcome", "failed")))]
        == 0
    )
    count = samples[("minwon_channel_request_duration_seconds_count", (("channel", "counter"),))]
    infinite = samples[
        ("minwon_channel_request_duration_seconds_bucket", (("channel", "counter"), ("le", "+Inf")))
    ]
    assert count == infinite == 3
    assert samples[("minwon_channel_request_duration_seconds_sum", (("channel", "counter"),))] > 0
    assert samples[("minwon_issuance_gap_seconds", ())] == 0
    assert samples[("minwon_incidents_open", ())] == 0
    assert (
        "# HELP minwon_issuance_gap_seconds" in text
        and "# TYPE minwon_incidents_open gauge" in text
    )


def test_open_incidents_are_read_from_the_incidents_table(world: World, client: TestClient) -> None:
    store = SqlIncidents(world.container.engine)
    now = world.clock.now().timestamp()
    store.save(
        [
            Incident.open("app:1", Cause.APP_NOT_READY, "503", at=now),
            Incident.open("postgres:pg1", Cause.PROCESS_EXIT, "SIGKILL", at=now),
        ]
    )
    shown = _samples(client.get("/metrics").text)
    assert shown[("minwon_incidents_open", ())] == 2
    # A second app on the same database sees them too (each reads, none keeps its own).
    with TestClient(create_app(world.container), client=("127.0.0.1", 5001)) as other:
        assert _samples(other.get("/metrics").text)[("minwon_incidents_open", ())] == 2


@pytest.fixture
def lost(tmp_path: Path) -> Iterator[tuple[TestClient, FixedClock]]:
    """An app whose database cannot be opened (its path is a folder)."""
    directory = tmp_path / "db-is-a-directory"
    directory.mkdir()
    init_keys(tmp_path / "keys")
    settings = Settings.from_env(
        {},
        data_dir=tmp_path,
        database_url=f"sqlite:///{directory}",
        keys_dir=tmp_path / "keys",
        db_retry_seconds=0.1,
    )
    clock = FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    container = bootstrap(settings, clock=clock)
    try:
        with TestClient(create_app(container), client=("127.0.0.1", 5002)) as c:
            yield c, clock
    finally:
        container.close()


def test_a_lost_database_is_failed_requests_an_issuance_gap_and_unreadable_incidents(
    lost: tuple[TestClient, FixedClock],
) -> None:
    client, clock = lost
    assert client.get(f"{API}/verify/{display(new_number())}").status_code == 503
    headers = {"Authorization": "Bearer x" * 3, "Idempotency-Key": "gap-00000001"}
    first = client.post(f"{API}/issuances", json={"document_type": "deungbon"}, headers=headers)
    assert first.status_code == 503
    clock.advance(timedelta(seconds=90))
    again = client.post(f"{API}/issuances", json={"document_type": "deungbon"}, headers=headers)
    assert again.status_code == 503
    assert _counts(client)["verification"] == (0, 1, 0)
    assert _counts(client)["online"] == (0, 2, 0)
    samples = _samples(client.get("/metrics").text)
    assert samples[("minwon_issuance_gap_seconds", ())] == 90
    assert samples[("minwon_incidents_open", ())] == -1
    failed = ("minwon_channel_requests_total", (("channel", "online"), ("outcome", "failed")))
    assert samples[failed] == 2


def test_every_route_of_the_app_has_its_channel() -> None:
    # A new route lands on a channel by these rules, or this fails and says which.
    areas = {
        counter: "counter",
        oversight: "counter",
        kiosk: "kiosk",
        kiosk_setup: "kiosk",
        portal: "online",
        notices_pages: "online",
    }
    for module, channel in areas.items():
        for route in module.router.routes:
            assert channel_of(route.path) == channel, route.path  # type: ignore[attr-defined]
    for route in [*status.router.routes, *ops.router.routes]:  # the city's, not a service
        assert channel_of(route.path) is None, route.path  # type: ignore[attr-defined]
    for route in public.router.routes:
        path = route.path  # type: ignore[attr-defined]
        assert channel_of(path) == ("verification" if path.startswith("/verify") else "online")
    for router in (
        auth.router,
        issuance.router,
        notices.router,
        registry.router,
        verification.router,
    ):
        for route in router.routes:
            path = f"{API}{route.path}"  # type: ignore[attr-defined]
            tags = set(route.tags)  # type: ignore[attr-defined]
            if "verification" in tags:
                expected = dict.fromkeys(("clerk", "kiosk", "citizen", None), "verification")
            elif path.startswith(f"{API}/auth/") and path.rsplit("/", 1)[1] in SIGN_IN:
                expected = dict.fromkeys(
                    ("clerk", "kiosk", "citizen", None), SIGN_IN[path.rsplit("/", 1)[1]]
                )
            else:
                expected = {
                    "clerk": "counter",
                    "kiosk": "kiosk",
                    "citizen": "online",
                    None: "online",
                }
            for kind, channel in expected.items():
                assert channel_of(path, kind) == channel, (path, kind)
    for path in (
        "/healthz",
        "/healthz/echo",
        "/readyz",
        "/metrics",
        "/static/app.js",
        "/status",
        "/ops",
    ):
        assert channel_of(path) is None


def test_a_request_that_raises_is_a_failed_one_and_an_issuance_attempt(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clerk = _login(client, "clerk", "clerk")
    me = world.resident(world.citizen("citizen3").resident_id or "")

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug in the issuance")

    monkeypatch.setattr(issuance, "issue_document", broken)
    wall = world.clock.now().timestamp()
    with TestClient(client.app, raise_server_exceptions=False, client=("127.0.0.1", 5003)) as c:
        body = {"name": me.name, "rrn": me.rrn, "id_checked": True}
        assert _issue(c, clerk, "traffic-broken-1", requester=body) == 500
    assert _counts(client)["counter"] == (1, 1, 0)  # the sign-in, the failure
    # Never issued: counted from the failure, which came after `wall`.
    assert 7 < _recorder(client).issuance_gap(wall + 12) <= 12


def test_a_caller_whose_sign_in_cannot_be_checked_stays_on_its_channel(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database goes away: a kiosk's and a clerk's requests fail before anyone can
    read who they are. They are still the kiosk's and the counter's failures (the token's
    channel when it last signed in); a token never seen counts as online, as nobody."""
    kiosk = _kiosk(client, world)
    clerk = _login(client, "clerk", "clerk")
    assert client.get(f"{API}/issuances", headers=kiosk).status_code == 200
    assert client.get(f"{API}/issuances", headers=clerk).status_code == 200
    before = _counts(client)

    def down(*_: object) -> None:
        raise Unavailable("db.unavailable", "데이터베이스에 연결할 수 없습니다.")

    monkeypatch.setattr(deps, "authenticate", down)
    assert _issue(client, kiosk, "traffic-outage-k1") == 503
    assert _issue(client, clerk, "traffic-outage-c1") == 503
    assert _issue(client, {"Authorization": "Bearer never-seen-token"}, "traffic-outage-o1") == 503
    after = _counts(client)
    assert after["kiosk"] == (before["kiosk"][0], 1, 0)
    assert after["counter"] == (before["counter"][0], 1, 0)
    assert after["online"] == (before["online"][0], 1, 0)


def test_a_form_sent_twice_is_one_document(client: TestClient) -> None:
    """The portal's form posted again with its key (a double click, a reload): the same
    document handed back, counted as a request, not as a second issuance."""
    sent = _portal_form(client)
    first = client.post("/portal/documents/deungbon", data=sent)
    again = client.post("/portal/documents/deungbon", data=sent)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert (first.headers["idempotent-replayed"], again.headers["idempotent-replayed"]) == (
        "false",
        "true",
    )
    _, failed, issued = _counts(client)["online"]
    assert (failed, issued) == (0, 1)
