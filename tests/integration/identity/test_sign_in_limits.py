"""Sign-in limits cannot be turned against the person they protect (issue 10, item 4).

Tried as the attacker would, over HTTP on the real app: hammer a citizen's or a clerk's
account with wrong passwords from one address, then from a fresh address each time, then
flood a kiosk with wrong device keys. The owner signing in from their usual address, and
the kiosk with its own key, must get in; the attacker must be slowed, more with every
failure. The clock is frozen and moved by hand, so no window boundary or busy machine
changes what a test sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from minwon.adapters import tables as t
from minwon.bootstrap import Container, bootstrap
from minwon.clock import FixedClock
from minwon.demo import DEMO_KIOSK_KEY, DEMO_PASSWORD
from minwon.registry.model import Resident
from minwon.web.app import create_app
from support.world import World

API = "/api/v1"
OWNER = ("203.0.113.10", 50000)  # the owner's usual address
ATTACKER = ("198.51.100.66", 40000)
KIOSK = ("10.20.30.40", 50000)  # the kiosk's own address in the office
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _guarded(world: World, **changes: Any) -> Container:
    """A container on the world's database with the shipped limits (the world's own are
    loose) and a frozen clock the test moves."""
    shipped = {"login_rate_per_minute": 10, "login_backoff_after": 5}
    settings = world.container.settings.with_changes(
        **{**shipped, "login_backoff_max_seconds": 900, **changes}
    )
    return bootstrap(settings, clock=FixedClock(world.clock.now()))


@pytest.fixture
def guarded(world: World) -> Iterator[Container]:
    container = _guarded(world)
    try:
        yield container
    finally:
        container.close()


def _at(container: Container, address: tuple[str, int]) -> TestClient:
    return TestClient(create_app(container), client=address, follow_redirects=False)


def _login(client: TestClient, username: str, password: str, kind: str = "citizen") -> Any:
    return client.post(f"{API}/auth/{kind}", json={"username": username, "password": password})


def _code(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/problem+json")
    code: str = response.json()["code"]
    return code


def _kiosk_identify(client: TestClient, world: World, person: Resident, key: str) -> Any:
    return client.post(
        f"{API}/auth/kiosk",
        json={"rrn": person.rrn, "fingerprint": world.fingerprint(person)},
        headers={"X-Kiosk-Device": "kiosk-01", "X-Kiosk-Key": key},
    )


@pytest.mark.parametrize(("kind", "username"), [("citizen", "citizen1"), ("clerk", "clerk")])
def test_an_attacker_hammering_an_account_does_not_lock_its_owner_out(
    guarded: Container, kind: str, username: str
) -> None:
    owner, attacker = _at(guarded, OWNER), _at(guarded, ATTACKER)
    assert _login(owner, username, DEMO_PASSWORD, kind).status_code == 200  # usual address

    statuses = [_login(attacker, username, f"guess-{n}", kind).status_code for n in range(30)]
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}  # slowed after five, then cut off at ten a minute
    # The attacker guessing right now gets nowhere either.
    assert _login(attacker, username, DEMO_PASSWORD, kind).status_code == 429

    # What the issue saw: the right password then got 429. From the usual address it works.
    for _ in range(3):
        assert _login(owner, username, DEMO_PASSWORD, kind).status_code == 200


def test_the_attacker_waits_twice_as_long_after_each_failure_from_any_new_address(
    world: World,
) -> None:
    # A generous per-address limit, so only the account's own backoff is seen here.
    container = _guarded(world, login_rate_per_minute=1_000)
    clock = container.clock
    assert isinstance(clock, FixedClock)
    app = create_app(container)
    fresh = (f"198.51.100.{n}" for n in range(1, 250))

    def guess(password: str = "wrong") -> Any:
        return _login(TestClient(app, client=(next(fresh), 40000)), "citizen2", password)

    try:
        owner = TestClient(app, client=OWNER)
        assert _login(owner, "citizen2", DEMO_PASSWORD).status_code == 200
        assert [guess().status_code for _ in range(5)] == [401] * 5
        waits = []
        for _ in range(6):
            refused = guess(DEMO_PASSWORD)  # even the right password, from a new address
            assert refused.status_code == 429 and _code(refused) == "auth.slowed"
            assert "초 뒤에 다시 시도" in refused.json()["detail"]
            wait = int(refused.headers["Retry-After"])
            waits.append(wait)
            clock.advance(timedelta(seconds=wait - 1))
            assert guess().status_code == 429  # a second early is still too early
            assert _login(owner, "citizen2", DEMO_PASSWORD).status_code == 200  # owner: no wait
            clock.advance(timedelta(seconds=1))
            assert guess().status_code == 401  # one more try, checked, and wrong
        assert waits == [2, 4, 8, 16, 32, 64]
    finally:
        container.close()


def test_an_account_that_does_not_exist_is_slowed_the_same_so_answers_name_no_one(
    guarded: Container,
) -> None:
    attacker = _at(guarded, ATTACKER)
    real = [_code(_login(attacker, "citizen3", "wrong")) for _ in range(7)]
    made_up = [_code(_login(attacker, "no-such-citizen", "wrong")) for _ in range(7)]
    assert real == made_up == ["auth.invalid_credentials"] * 5 + ["auth.slowed"] * 2


def test_an_address_that_signed_in_before_is_slowed_only_by_its_own_failures(
    guarded: Container,
) -> None:
    """Someone at the owner's own address (a shared office) is slowed too: there, and by
    the failures made there, while the owner signs in from home."""
    clock = guarded.clock
    assert isinstance(clock, FixedClock)
    office, home = _at(guarded, ("192.0.2.7", 1)), _at(guarded, ("192.0.2.200", 1))
    for client in (office, home):
        assert _login(client, "citizen4", DEMO_PASSWORD).status_code == 200
    assert [_login(office, "citizen4", "wrong").status_code for _ in range(5)] == [401] * 5
    assert _code(_login(office, "citizen4", DEMO_PASSWORD)) == "auth.slowed"
    assert _login(home, "citizen4", DEMO_PASSWORD).status_code == 200
    clock.advance(timedelta(seconds=2))
    assert _login(office, "citizen4", DEMO_PASSWORD).status_code == 200  # and cleared
    assert _login(office, "citizen4", "wrong").status_code == 401


def _page_login(client: TestClient, username: str, password: str) -> Any:
    form = client.get("/portal/login")
    token = TOKEN.search(form.text)
    assert token, form.text
    return client.post(
        "/portal/login",
        data={"csrf_token": token.group(1), "username": username, "password": password},
    )


def test_the_sign_in_page_lets_the_owner_in_and_tells_the_attacker_to_wait(
    guarded: Container,
) -> None:
    owner, attacker = _at(guarded, OWNER), _at(guarded, ATTACKER)
    assert _page_login(owner, "citizen5", DEMO_PASSWORD).status_code == 303
    assert [_page_login(attacker, "citizen5", "wrong").status_code for _ in range(5)] == [401] * 5
    slowed = _page_login(attacker, "citizen5", DEMO_PASSWORD)
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) == 2
    assert "초 뒤에 다시 시도할 수 있습니다" in slowed.text
    assert 'name="password"' in slowed.text  # the sign-in form, to try again later
    assert "minwon_session" not in slowed.headers.get("set-cookie", "")
    signed_in = _page_login(owner, "citizen5", DEMO_PASSWORD)
    assert signed_in.status_code == 303 and "minwon_session=" in signed_in.headers["set-cookie"]


def test_a_flood_of_wrong_kiosk_keys_slows_the_flood_and_never_locks_the_kiosk(
    world: World,
) -> None:
    # 2 a minute: the kiosk may identify 6 people a minute, one address try 24 times.
    container = _guarded(world, login_rate_per_minute=2)
    people = [world.stranger_to(world.adult_with_seal(), min_age=20)]
    people += [world.adult_with_seal()]
    try:
        app = create_app(container)
        attacker, kiosk = TestClient(app, client=ATTACKER), TestClient(app, client=KIOSK)
        person = people[0]
        flood = [_kiosk_identify(attacker, world, person, f"guess-{n}") for n in range(30)]
        assert [_code(r) for r in flood[:24]] == ["kiosk.device_unknown"] * 24
        assert {(r.status_code, _code(r)) for r in flood[24:]} == {(429, "rate_limited")}
        no_key = attacker.post(
            f"{API}/auth/kiosk",
            json={"rrn": person.rrn, "fingerprint": world.fingerprint(person)},
            headers={"X-Kiosk-Device": "kiosk-01"},
        )
        assert no_key.status_code == 422  # refused before anything is counted
        with container.engine.connect() as conn:
            buckets = set(conn.execute(select(t.rate_limit_windows.c.bucket)).scalars())
        assert "kiosk:kiosk-01" not in buckets  # the kiosk's own count was never touched

        # The kiosk itself: its full allowance of six identifications this minute.
        for n in range(6):
            who = people[n % 2]
            response = _kiosk_identify(kiosk, world, who, DEMO_KIOSK_KEY)
            assert response.status_code == 200, response.text
        assert _code(_kiosk_identify(kiosk, world, people[0], DEMO_KIOSK_KEY)) == "rate_limited"
    finally:
        container.close()
