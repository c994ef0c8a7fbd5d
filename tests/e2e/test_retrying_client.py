"""The kiosk/counter client: key journaled before sending, every endpoint tried.

Given two real app instances on one database and a third endpoint that is down, a kiosk
client issues through whichever answers; a request whose answer was lost is resent from
the journal after a restart and returns the same document without a second charge.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from minwon.client.journal import KeyJournal
from minwon.client.retrying import ClientError, RetryingClient
from minwon.demo import DEMO_PASSWORD
from minwon.operations.processes import free_port
from support.served import demo_folder, start, stop

DEUNGBON = {"document_type": "deungbon", "items": {"past_addresses": "recent5"}}


@pytest.fixture(scope="module")
def two_instances(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    data_dir = tmp_path_factory.mktemp("client") / "data"
    env = demo_folder(data_dir, residents=200, seed=9).env
    first, base1 = start(env, data_dir.parent / "app1.log")
    try:
        second, base2 = start(env, data_dir.parent / "app2.log")
        try:
            yield [base1, base2]
        finally:
            stop(second)
    finally:
        stop(first)


def test_a_dead_endpoint_is_skipped_and_sessions_work_on_every_instance(
    two_instances: list[str], tmp_path: Path
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    token = RetryingClient(two_instances, KeyJournal(tmp_path / "login.sqlite3")).login(
        "citizen", "citizen1", DEMO_PASSWORD
    )
    client = RetryingClient([dead, *two_instances], KeyJournal(tmp_path / "j.sqlite3"))
    try:
        issued = client.issue(token, DEUNGBON)
        assert issued.endpoint in two_instances and issued.attempts == 2
        # The session made on one instance is honoured by the other: it lives in the database.
        other = next(e for e in two_instances if e != issued.endpoint)
        me = httpx.get(f"{other}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
    finally:
        client.close()


def test_a_request_whose_answer_was_lost_is_resent_from_the_journal(
    two_instances: list[str], tmp_path: Path
) -> None:
    journal = KeyJournal(tmp_path / "kiosk.sqlite3")
    client = RetryingClient(two_instances, journal)
    token = client.login("citizen", "citizen2", DEMO_PASSWORD)
    key = journal.begin(DEUNGBON)
    # The request reached the server, but the kiosk lost power before reading the answer.
    sent = httpx.post(
        f"{two_instances[1]}/api/v1/issuances",
        json=DEUNGBON,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
        timeout=30,
    )
    assert sent.status_code == 201
    client.close()
    journal.close()

    journal = KeyJournal(tmp_path / "kiosk.sqlite3")  # the kiosk restarts
    client = RetryingClient(two_instances, journal)
    try:
        resumed = client.resume(token)
        assert [r.key for r in resumed] == [key]
        assert resumed[0].replayed and resumed[0].number == sent.json()["number"]
        assert journal.pending() == []
    finally:
        client.close()


def test_a_refusal_is_final_and_not_retried(two_instances: list[str], tmp_path: Path) -> None:
    client = RetryingClient(two_instances, KeyJournal(tmp_path / "j.sqlite3"), deadline=10)
    try:
        token = client.login("citizen", "citizen-arrears", DEMO_PASSWORD)
        with pytest.raises(ClientError) as err:
            client.issue(token, {"document_type": "napse"})
        assert err.value.status == 403 and err.value.problem["code"] == "tax.arrears"
    finally:
        client.close()
