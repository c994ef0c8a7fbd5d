"""Binding a browser to a kiosk, its keys, and the simulated sensor, tried as an attacker.

- The device key alone binds nothing; neither do staff who may not act on the kiosk's
  office (a dong clerk for a 구청 kiosk, the other district's supervisor, the read-only
  auditor) nor a wrong staff password; no device cookie is set by any of them.
- An authorised supervisor binds it; the staff session the form opened is closed again,
  so none is left on a public kiosk; a counter session in the same browser serves too.
- One kiosk's key does not open another; ``minwon kiosk rotate-key`` prints a new key
  once, stores only its hash, retires the old key and ends the device's open sessions.
- The simulated fingerprint sensor runs only with MINWON_DEMO_FINGERPRINT=1: otherwise
  the kiosk says the sensor is unavailable.

Pages over TestClient (SQLite: the pages add no SQL of their own).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from minwon.adapters import tables as t
from minwon.bootstrap import Container, bootstrap
from minwon.cli.main import app as cli
from minwon.config import Settings
from minwon.demo import DEMO_KIOSK_KEYS, DEMO_PASSWORD
from minwon.identity.passwords import verify_password
from minwon.web.app import create_app
from support.world import World

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
DEVICE_COOKIE = "minwon_kiosk_device"


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), follow_redirects=False) as c:
        yield c


def _token(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = TOKEN.search(page.text)
    assert found
    return found.group(1)


def _bind(
    client: TestClient,
    device: str,
    key: str,
    staff: str | None = None,
    password: str = DEMO_PASSWORD,
) -> httpx.Response:
    form = {"csrf_token": _token(client, "/kiosk/setup"), "device_id": device, "device_key": key}
    if staff is not None:
        form |= {"staff_username": staff, "staff_password": password}
    response: httpx.Response = client.post("/kiosk/setup", data=form)
    return response


def _clerk_sessions(world: World) -> int:
    with world.container.engine.connect() as conn:
        rows = conn.execute(
            select(t.auth_sessions.c.principal_id).where(
                t.auth_sessions.c.principal_kind == "clerk"
            )
        ).all()
    return len(rows)


def _binds(world: World) -> list[tuple[str, str, str]]:
    with world.container.uows(readonly=True) as uow:
        events = uow.audit.events(action="kiosk_bind")
    return [(e.actor_id, str(e.detail["device"]), e.outcome) for e in events]


@pytest.mark.parametrize(
    ("staff", "password", "status", "code"),
    [
        (None, DEMO_PASSWORD, 401, "담당 공무원의 아이디와 비밀번호를 입력해 주세요"),
        ("supervisor", "wrong-password", 401, "아이디 또는 비밀번호가 맞지 않습니다"),
        ("clerk", DEMO_PASSWORD, 403, "담당 지역이 아닌 기관"),  # a dong's clerk, 구청 kiosk
        ("supervisor-deokjin", DEMO_PASSWORD, 403, "담당 지역이 아닌 기관"),
        ("auditor", DEMO_PASSWORD, 403, "처리 권한이 있는 담당 공무원만"),
        ("citizen1", DEMO_PASSWORD, 401, "아이디 또는 비밀번호가 맞지 않습니다"),
    ],
    ids=["key-only", "wrong-password", "dong-clerk", "other-district", "auditor", "citizen"],
)
def test_the_device_key_is_not_enough_to_bind_a_kiosk(
    client: TestClient, world: World, staff: str | None, password: str, status: int, code: str
) -> None:
    response = _bind(client, "kiosk-01", DEMO_KIOSK_KEYS["kiosk-01"], staff, password)
    assert response.status_code == status, response.text
    assert code in response.text
    assert DEVICE_COOKIE not in response.headers.get("set-cookie", "")
    assert client.get("/kiosk").headers["location"] == "/kiosk/setup"
    assert _clerk_sessions(world) == 0  # nothing left open by the attempt


def test_an_authorised_supervisor_binds_it_and_leaves_no_session_behind(
    client: TestClient, world: World
) -> None:
    response = _bind(client, "kiosk-01", DEMO_KIOSK_KEYS["kiosk-01"], "supervisor")
    assert response.status_code == 303, response.text
    assert response.headers["set-cookie"].startswith(DEVICE_COOKIE)
    assert client.get("/kiosk").status_code == 200
    assert _clerk_sessions(world) == 0
    assert "minwon_session" not in client.cookies
    assert ("supervisor", "kiosk-01", "bound") in _binds(world)


def test_a_supervisor_signed_in_at_the_counter_binds_with_the_device_key(
    client: TestClient, world: World
) -> None:
    token = _token(client, "/counter/login")
    signed = client.post(
        "/counter/login",
        data={"csrf_token": token, "username": "supervisor-deokjin", "password": DEMO_PASSWORD},
    )
    assert signed.status_code == 303
    assert "로그인되어 있습니다" in client.get("/kiosk/setup").text
    response = _bind(client, "kiosk-02", DEMO_KIOSK_KEYS["kiosk-02"])
    assert response.status_code == 303, response.text
    assert ("supervisor-deokjin", "kiosk-02", "bound") in _binds(world)


def test_one_kiosks_key_does_not_open_another(client: TestClient, world: World) -> None:
    assert DEMO_KIOSK_KEYS["kiosk-01"] != DEMO_KIOSK_KEYS["kiosk-02"]
    response = _bind(client, "kiosk-01", DEMO_KIOSK_KEYS["kiosk-02"], "supervisor")
    assert response.status_code == 401
    assert "기기 키가 맞지 않습니다" in response.text
    api = client.post(
        "/api/v1/auth/kiosk",
        json={"rrn": "900101-1234568", "fingerprint": "0" * 32},
        headers={"X-Kiosk-Device": "kiosk-02", "X-Kiosk-Key": DEMO_KIOSK_KEYS["kiosk-01"]},
    )
    assert api.status_code == 401 and api.json()["code"] == "kiosk.device_unknown"
    assert ("supervisor", "kiosk-01", "kiosk.device_unknown") in _binds(world)


def _env(settings: Settings) -> dict[str, str]:
    return {
        "MINWON_DATA_DIR": str(settings.data_dir),
        "MINWON_DATABASE_URL": settings.database.url,
        "MINWON_KEYS_DIR": str(settings.keys_dir),
    }


def _kiosk_login(client: TestClient, world: World, key: str) -> httpx.Response:
    me = world.resident(world.citizen().resident_id or "")
    response: httpx.Response = client.post(
        "/api/v1/auth/kiosk",
        json={"rrn": me.rrn, "fingerprint": world.fingerprint(me)},
        headers={"X-Kiosk-Device": "kiosk-01", "X-Kiosk-Key": key},
    )
    return response


def test_rotating_a_key_prints_it_once_stores_a_hash_and_retires_the_old_one(
    client: TestClient, world: World
) -> None:
    old = DEMO_KIOSK_KEYS["kiosk-01"]
    open_session = _kiosk_login(client, world, old)
    assert open_session.status_code == 200
    bearer = {"Authorization": f"Bearer {open_session.json()['token']}"}
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200

    done = CliRunner().invoke(
        cli, ["kiosk", "rotate-key", "kiosk-01"], env=_env(world.container.settings)
    )
    assert done.exit_code == 0, done.output
    printed = re.findall(r"^[A-Za-z0-9_-]{32}$", done.output, flags=re.MULTILINE)
    assert len(printed) == 1, done.output
    new = printed[0]

    with world.container.engine.connect() as conn:
        rows = {r.device_id: r.key_hash for r in conn.execute(select(t.kiosks))}
    assert new not in rows["kiosk-01"] and verify_password(rows["kiosk-01"], new)
    assert not verify_password(rows["kiosk-01"], old)
    assert verify_password(rows["kiosk-02"], DEMO_KIOSK_KEYS["kiosk-02"])  # others untouched

    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401  # session ended
    refused = _kiosk_login(client, world, old)
    assert refused.status_code == 401
    assert _kiosk_login(client, world, new).status_code == 200
    with world.container.uows(readonly=True) as uow:
        (event,) = uow.audit.events(action="kiosk_key")
    assert event.outcome == "rotated" and event.detail["device"] == "kiosk-01"
    assert event.detail["sessions_ended"] == 1 and new not in repr(event)

    unknown = CliRunner().invoke(
        cli, ["kiosk", "rotate-key", "kiosk-99"], env=_env(world.container.settings)
    )
    assert unknown.exit_code == 1 and "kiosk.unknown" in unknown.output


# --- the simulated sensor -----------------------------------------------------------------


def _bound(client: TestClient) -> None:
    response = _bind(client, "kiosk-01", DEMO_KIOSK_KEYS["kiosk-01"], "supervisor")
    assert response.status_code == 303


def test_the_sensor_is_off_unless_the_demo_setting_turns_it_on(
    client: TestClient, world: World
) -> None:
    assert world.container.settings.identity.demo_fingerprint is False
    _bound(client)
    page = client.get("/kiosk/identify?doc=deungbon")
    assert page.status_code == 200
    assert "지문 센서를 사용할 수 없습니다" in page.text and "fingerprint-button" not in page.text
    me = world.resident(world.citizen().resident_id or "")
    token = TOKEN.search(page.text)
    assert token
    touched = client.post("/kiosk/sensor", data={"csrf_token": token.group(1), "rrn": me.rrn})
    assert touched.status_code == 404 and "kiosk.sensor_unavailable" in touched.text


@pytest.fixture
def demo(world: World) -> Iterator[Container]:
    settings = world.container.settings.with_changes(demo_fingerprint=True)
    container = bootstrap(settings, clock=world.clock)
    try:
        yield container
    finally:
        container.close()


def test_with_the_demo_setting_the_sensor_makes_the_capture(demo: Container, world: World) -> None:
    with TestClient(create_app(demo), follow_redirects=False) as client:
        _bound(client)
        page = client.get("/kiosk/identify?doc=deungbon")
        assert "fingerprint-button" in page.text
        token = TOKEN.search(page.text)
        assert token
        me = world.resident(world.citizen().resident_id or "")
        touched = client.post("/kiosk/sensor", data={"csrf_token": token.group(1), "rrn": me.rrn})
        assert touched.status_code == 200
        assert touched.json() == {"capture": world.fingerprint(me), "simulated": True}


def test_the_demo_setting_is_read_from_the_environment() -> None:
    assert Settings.from_env({}).identity.demo_fingerprint is False
    on = Settings.from_env({"MINWON_DEMO_FINGERPRINT": "1"})
    assert on.identity.demo_fingerprint is True
