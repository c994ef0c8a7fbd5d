"""The retrying client's path health: an endpoint that timed out is skipped for a while.

A path that drops large packets (DESIGN.md F4) answers nothing: each request sent there
waits out the whole attempt deadline. The client must pay that once, not on every
request. The transport here stands for the network (a timeout is what such a path
gives); the real path is tested in tests/scenarios/test_large_packets.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from minwon.client import retrying
from minwon.client.journal import KeyJournal
from minwon.client.retrying import RetryingClient

BROKEN, GOOD = "http://path-a", "http://path-b"


class Network:
    """Answers issuances on GOOD; times out on BROKEN while `broken` is set."""

    def __init__(self) -> None:
        self.broken = True
        self.sent: list[str] = []
        self.numbers = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        base = f"{request.url.scheme}://{request.url.host}"
        self.sent.append(base)
        if base == BROKEN and self.broken:
            raise httpx.ReadTimeout("no answer", request=request)
        self.numbers += 1
        body = {"number": f"N{self.numbers}", "replayed": False}
        return httpx.Response(201, content=json.dumps(body).encode())


@pytest.fixture
def network() -> Network:
    return Network()


@pytest.fixture
def client(network: Network, tmp_path: Path) -> RetryingClient:
    journal = KeyJournal(tmp_path / "journal.sqlite3")
    return RetryingClient([BROKEN, GOOD], journal, transport=httpx.MockTransport(network))


def test_a_path_that_timed_out_is_not_tried_again_on_the_next_requests(
    client: RetryingClient, network: Network
) -> None:
    first = client.issue("t", {"document_type": "deungbon"})
    assert (first.attempts, first.endpoint) == (2, GOOD)
    for _ in range(5):
        issued = client.issue("t", {"document_type": "deungbon"})
        assert (issued.attempts, issued.endpoint) == (1, GOOD)
    assert network.sent.count(BROKEN) == 1


def test_the_suspect_path_is_tried_again_once_its_suspicion_ends(
    client: RetryingClient, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retrying, "SUSPECT_SECONDS", 0.0)
    client.issue("t", {"document_type": "deungbon"})
    network.broken = False
    client._preferred = 0  # the kiosk's own first choice
    assert client.issue("t", {"document_type": "deungbon"}).endpoint == BROKEN


def test_when_every_path_is_suspect_the_client_still_tries_them(
    tmp_path: Path, network: Network
) -> None:
    journal = KeyJournal(tmp_path / "journal.sqlite3")
    client = RetryingClient([BROKEN], journal, transport=httpx.MockTransport(network), deadline=1.0)
    network.broken = True
    with pytest.raises(retrying.GaveUp):
        client.issue("t", {"document_type": "deungbon"})
    tries = network.sent.count(BROKEN)
    assert 2 <= tries <= 6, tries  # backed off between tries, did not spin
    network.broken = False
    assert client.issue("t", {"document_type": "deungbon"}).endpoint == BROKEN
