"""A request in flight on a server that dies continues at once on another server.

Given two real ``minwon serve`` processes on one database, and a request in flight on
server A (its claim on the idempotency key in the table, as A leaves it mid-request),
when the kiosk sends the same request to server B, then:

- while A lives, B waits for A and answers 409 (A may still finish it);
- once A is killed with SIGKILL, B takes the claim over within the heartbeat's grace
  (0.75 s), far inside the claim's 10 s lease, and issues it: one document, one fee;
- once a server stops cleanly (SIGTERM), its claims are free at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.engine import Engine

from minwon.adapters import tables as t
from minwon.issuance.commands import IssueDocument
from support.served import Served, demo_folder, start, stop

BODY = {"document_type": "deungbon"}
# What the API makes of BODY (web/api/issuance.py), whose hash a claim carries.
COMMAND = IssueDocument(idempotency_key="-", document_type="deungbon")


@dataclass
class Servers:
    setup: Served
    engine: Engine
    log_dir: Path
    b: str
    headers: dict[str, str]
    principal: str

    def start(self, name: str) -> tuple[subprocess.Popen[bytes], str]:
        process, base = start(self.setup.env, self.log_dir / f"{name}.log")
        return process, base

    def instance_of(self, pid: int, timeout: float = 10) -> str:
        """Returns the id the server with `pid` beats under, once it has beaten."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.engine.connect() as conn:
                found = conn.execute(
                    select(t.server_instances.c.id).where(t.server_instances.c.pid == pid)
                ).scalar_one_or_none()
            if found:
                return str(found)
            time.sleep(0.05)
        pytest.fail(f"server {pid} never beat")

    def in_flight_on(self, instance: str, key: str) -> None:
        """Writes the claim a request in flight on `instance` holds (its lease: 10 s)."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(
                insert(t.idempotency_keys).values(
                    principal=self.principal,
                    key=key,
                    request_hash=COMMAND.fingerprint(),
                    state="in_flight",
                    holder="f" * 32,
                    lease_until=now + timedelta(seconds=10),
                    instance=instance,
                    created_at=now,
                    replays=0,
                )
            )

    def send(self, key: str) -> httpx.Response:
        return httpx.post(
            f"{self.b}/api/v1/issuances",
            json=BODY,
            headers={**self.headers, "Idempotency-Key": key},
            timeout=30,
        )

    def issued_at(self, number: str) -> datetime:
        with self.engine.connect() as conn:
            at = conn.execute(
                select(t.issuances.c.issued_at).where(t.issuances.c.number == number)
            ).scalar_one()
        return at if at.tzinfo else at.replace(tzinfo=UTC)

    def issued(self, key: str) -> tuple[int, int]:
        ref = f"{self.principal}|{key}"
        with self.engine.connect() as conn:
            ids = select(t.issuances.c.id).where(t.issuances.c.request_ref == ref)
            issuances = conn.execute(select(func.count()).select_from(ids.subquery())).scalar()
            fees = conn.execute(select(func.count()).where(t.fees.c.issuance_id.in_(ids))).scalar()
        return int(issuances or 0), int(fees or 0)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    data_dir = tmp_path_factory.mktemp("takeover") / "data"
    setup = demo_folder(data_dir, residents=100, seed=11)
    engine = create_engine(f"sqlite:///{data_dir / 'minwon.sqlite3'}")
    process_b, base_b = start(setup.env, data_dir.parent / "b.log")
    try:
        headers = Served(base_b, data_dir, data_dir.parent / "b.log", setup.env).login("citizen1")
        warm = httpx.post(
            f"{base_b}/api/v1/issuances",
            json=BODY,
            headers={**headers, "Idempotency-Key": "warm-up-00001"},
            timeout=30,
        )
        assert warm.status_code == 201, warm.text
        with engine.connect() as conn:  # the principal as claims name it
            principal = conn.execute(
                select(t.idempotency_keys.c.principal).where(
                    t.idempotency_keys.c.key == "warm-up-00001"
                )
            ).scalar_one()
        yield Servers(setup, engine, data_dir.parent, base_b, headers, principal)
    finally:
        stop(process_b)
        engine.dispose()


def test_while_the_first_server_lives_the_retry_waits_and_answers_in_flight(
    servers: Servers,
) -> None:
    process_a, _ = servers.start("a-alive")
    try:
        servers.in_flight_on(servers.instance_of(process_a.pid), "k-e2e-alive-01")
        began = time.monotonic()
        response = servers.send("k-e2e-alive-01")
        waited = time.monotonic() - began
    finally:
        stop(process_a)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "idempotency.in_flight"
    assert response.headers["Retry-After"] == "1"
    assert waited >= 1.0  # it waited for A (1.5 s) before giving up
    assert servers.issued("k-e2e-alive-01") == (0, 0)


def test_a_request_in_flight_on_a_killed_server_is_issued_by_the_other_within_a_second(
    servers: Servers,
) -> None:
    process_a, _ = servers.start("a-killed")
    try:
        servers.in_flight_on(servers.instance_of(process_a.pid), "k-e2e-killed-1")
        os.kill(process_a.pid, signal.SIGKILL)  # mid-request, as a failing host would
        killed_at, killed = datetime.now(UTC), time.monotonic()
        response = servers.send("k-e2e-killed-1")
        answered = time.monotonic() - killed
    finally:
        stop(process_a)
    assert response.status_code == 201, response.text
    taken = (servers.issued_at(response.json()["number"]) - killed_at).total_seconds()
    print(f"\ntaken over {taken:.2f} s and answered {answered:.2f} s after the kill (lease 10 s)")
    # The claim is free 0.75 s after A's last beat (+ B's 0.1 s poll); the issuance starts
    # then. The bound leaves room for a busy machine, far under the 10 s lease.
    assert taken < 1.5
    assert answered < 5.0
    assert servers.issued("k-e2e-killed-1") == (1, 1)
    again = servers.send("k-e2e-killed-1")
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["number"] == response.json()["number"]
    assert servers.issued("k-e2e-killed-1") == (1, 1)


def test_a_server_that_stops_cleanly_frees_its_claims_at_once(servers: Servers) -> None:
    process_a, _ = servers.start("a-stopped")
    try:
        servers.in_flight_on(servers.instance_of(process_a.pid), "k-e2e-stopped1")
    finally:
        stop(process_a)  # SIGTERM: the server retires its row on the way out
    began = time.monotonic()
    response = servers.send("k-e2e-stopped1")
    assert response.status_code == 201, response.text
    assert time.monotonic() - began < 1.0  # no grace to wait out
    assert servers.issued("k-e2e-stopped1") == (1, 1)
