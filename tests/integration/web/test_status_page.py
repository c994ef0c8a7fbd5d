"""/status and /status.json as the public (and an attacker) meets them, on the real app
over a migrated SQLite: no login, no cookie, a few seconds of cache, nothing internal
(host, address, port, pid, component, operator's note, resident number) on either, an
operator's public statement escaped, and a 200 saying "확인할 수 없음" when the incidents
cannot be read, never a 500. A crowd costs the database one read per interval."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from minwon.adapters.database import make_engine
from minwon.adapters.migrate import upgrade
from minwon.bootstrap import Container, bootstrap
from minwon.clock import FixedClock
from minwon.config import Settings
from minwon.operations.availability.sql import SqlTrafficLog
from minwon.operations.availability.traffic import ChannelMinute, minute_of
from minwon.operations.incidents.model import Cause, Incident, Note, NoteKind
from minwon.operations.incidents.store import SqlIncidents
from minwon.web.app import create_app

RRN = "900101-1234567"
DETAIL = f"db-primary-01.jeonju.local 10.20.30.40:5432 pid 31337 {RRN} Traceback (most recent"
SECRETS = (
    "postgres",
    "pg1",
    "haproxy",
    "db-primary-01",
    "jeonju.local",
    "10.20.30.40",
    "5432",
    "31337",
    RRN,
    "1234567",
    "Traceback",
    "김운영",
    "디스크 고장",
    "재발 방지 비밀",
)
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@dataclass
class Site:
    client: TestClient
    container: Container
    engine: Engine
    clock: FixedClock


def _site(tmp_path: Path, keys_dir: Path, database_url: str) -> Iterator[Site]:
    settings = Settings.from_env(
        {}, data_dir=tmp_path, database_url=database_url, keys_dir=keys_dir
    )
    clock = FixedClock(datetime.now(UTC))  # the board's age moves only when told
    container = bootstrap(settings, clock=clock)
    try:
        with TestClient(create_app(container)) as client:
            yield Site(client, container, container.engine, clock)
    finally:
        container.close()


@pytest.fixture
def site(tmp_path: Path, keys_dir: Path) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path / 'minwon.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield from _site(tmp_path, keys_dir, url)


def _seed(engine: Engine) -> Incident:
    now = time.time()
    store = SqlIncidents(engine)
    leader = Incident.open("postgres:pg1", Cause.ROLE_FAILOVER, DETAIL, at=now - 30)
    replica = Incident.open("haproxy:2", Cause.REPLICATION_STOPPED, DETAIL, at=now - 4000).but(
        ended_at=now - 3900, settled_at=now - 3890, updated_at=now - 3890
    )
    store.save([leader, replica])
    notes = [
        Note.new(
            leader.id, author="김운영", kind=NoteKind.ROOT_CAUSE, text="pg1 디스크 고장", at=now
        ),
        Note.new(
            leader.id, author="김운영", kind=NoteKind.PREVENTION, text="재발 방지 비밀", at=now
        ),
        Note.new(
            leader.id, author="김운영", kind=NoteKind.PUBLIC, text=f"복구 중입니다 {XSS}", at=now
        ),
    ]
    store.add_notes(notes)
    minute = minute_of(now)
    SqlTrafficLog(engine).record([ChannelMinute("app:1", minute, "online", ok=100, failed=0)])
    return leader


def _public_headers(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert "set-cookie" not in headers
    assert headers["cache-control"] == "public, max-age=5"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_the_page_shows_an_outage_in_public_words_and_nothing_internal(site: Site) -> None:
    leader = _seed(site.engine)
    page = site.client.get("/status")
    data = site.client.get("/status.json")
    assert page.status_code == 200 and data.status_code == 200, page.text
    for response in (page, data):
        _public_headers(response)
        body = response.text
        leaked = [s for s in (*SECRETS, leader.id) if s in body]
        assert leaked == [], leaked
    assert "서비스 중단" in page.text and "데이터베이스 서버 장애" in page.text
    assert "영향이 없었던 기록 1건" in page.text
    # The operator's statement is shown, as text: not a tag of it runs.
    assert "<script>" not in page.text and "<img" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    body = data.json()
    assert body["state"] == "outage"
    assert {c["channel"]: c["state"] for c in body["channels"]} == dict.fromkeys(
        ("counter", "kiosk", "online", "verification"), "outage"
    )
    first, second = body["incidents"]
    assert (first["ref"], first["cause"], first["ongoing"]) == (
        leader.id[:8],
        "database.failover",
        True,
    )
    assert first["statements"][0]["text"] == f"복구 중입니다 {XSS}"
    assert first["started_at"].endswith("+09:00")
    assert (second["impact"], second["channels"]) == ("none", [])
    assert data.headers["content-type"].startswith("application/json")


def test_an_unreadable_incidents_table_says_unknown_with_200(site: Site) -> None:
    with site.engine.begin() as conn:
        conn.execute(text("DROP TABLE incident_notes"))
        conn.execute(text("DROP TABLE incidents"))
    page = site.client.get("/status")
    assert page.status_code == 200, page.text
    _public_headers(page)
    assert "확인할 수 없음" in page.text and "정상 운영" not in page.text
    assert "incidents" not in page.text and "OperationalError" not in page.text
    data = site.client.get("/status.json").json()
    assert data["state"] == "unknown" and data["incidents"] == []


def test_a_database_that_cannot_be_opened_says_unknown_with_200(
    tmp_path: Path, keys_dir: Path
) -> None:
    directory = tmp_path / "db-is-a-directory"
    directory.mkdir()
    for s in _site(tmp_path, keys_dir, f"sqlite:///{directory}"):
        started = time.monotonic()
        page = s.client.get("/status")
        assert page.status_code == 200 and "확인할 수 없음" in page.text
        assert s.client.get("/status.json").json()["state"] == "unknown"
        assert time.monotonic() - started < 5


def test_a_crowd_refreshing_costs_one_read_per_interval(site: Site) -> None:
    assert site.client.get("/status.json").json()["state"] == "operational"
    _seed(site.engine)  # an outage begins: shown once the kept board is older than 5 s
    for _ in range(20):
        assert site.client.get("/status").status_code == 200
        assert site.client.get("/status.json").json()["state"] == "operational"
    assert site.container.public_status.reads == 1
    site.clock.advance(timedelta(seconds=5))
    assert site.client.get("/status.json").json()["state"] == "outage"
    assert site.container.public_status.reads == 2


def test_unreadable_traffic_leaves_the_states_to_the_incidents(site: Site) -> None:
    _seed(site.engine)
    with site.engine.begin() as conn:
        conn.execute(text("DROP TABLE traffic_minutes"))
    data = site.client.get("/status.json")
    assert data.status_code == 200 and data.json()["state"] == "outage"


def test_one_channel_failing_is_shown_as_that_channel_alone(site: Site) -> None:
    now = site.clock.now().timestamp()
    SqlTrafficLog(site.engine).record(
        [
            ChannelMinute("app:1", minute_of(now), "kiosk", ok=1, failed=50),
            ChannelMinute("app:1", minute_of(now), "online", ok=95, failed=5),
            ChannelMinute("app:1", minute_of(now), "counter", ok=50, failed=0),
        ]
    )
    data = site.client.get("/status.json").json()
    assert {c["channel"]: c["state"] for c in data["channels"]} == {
        "counter": "operational",
        "kiosk": "outage",
        "online": "degraded",
        "verification": "operational",
    }
    page = site.client.get("/status").text
    assert "일부 이용 경로에서 서비스가 중단되어 있습니다" in page
