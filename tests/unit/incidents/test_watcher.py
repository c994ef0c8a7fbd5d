"""The watcher's rounds and its writer: nothing a round sees is lost while the database
is down, and a watcher started again picks up what the last one left open."""

from __future__ import annotations

import io
from pathlib import Path

from minwon.operations.clock import wait_until
from minwon.operations.incidents.conditions import Reading, etcd_reading
from minwon.operations.incidents.journal import Journal
from minwon.operations.incidents.model import Cause
from minwon.operations.incidents.observe import issued_total
from minwon.operations.incidents.store import DurableIncidents, MemoryIncidents
from minwon.operations.incidents.watch import Watcher


class Script:
    """An observer that says what the test tells it to: etcd has its quorum or not."""

    def __init__(self) -> None:
        self.path_ok = True

    def look(self, at: float) -> tuple[list[Reading], dict[str, float], float | None]:
        healthy = {"e1": self.path_ok, "e2": self.path_ok, "e3": True}
        return [etcd_reading(at, healthy)], {}, None


def test_incidents_seen_while_the_database_is_down_reach_it_once_it_answers(
    tmp_path: Path,
) -> None:
    database = MemoryIncidents()
    store = DurableIncidents(database, Journal(tmp_path / "incidents.jsonl"))
    script = Script()
    out = io.StringIO()
    watcher = Watcher(tmp_path, store, script.look, out=out)
    watcher.writer.start()
    database.down = True
    script.path_ok = False
    watcher.round()
    assert wait_until(lambda: not store.journal.empty, timeout=5, interval=0.05)
    script.path_ok = True
    watcher.round()
    database.down = False
    watcher.round()  # nothing changes: the writer merges the journal on its own
    watcher.writer.close()
    store.merge()
    (incident,) = database.incidents.values()
    assert incident.cause is Cause.ETCD_QUORUM_LOST and incident.settled_at is not None
    assert "database unreachable" in out.getvalue()
    assert (tmp_path / "watch.beat").exists()


def test_a_new_watcher_resumes_what_the_last_one_left_open(tmp_path: Path) -> None:
    database = MemoryIncidents()
    store = DurableIncidents(database, Journal(tmp_path / "incidents.jsonl"))
    script = Script()
    script.path_ok = False
    first = Watcher(tmp_path, store, script.look, out=io.StringIO())
    first.writer.start()
    first.round()
    first.writer.close()
    (opened,) = database.incidents.values()
    second = Watcher(tmp_path, store, script.look, out=io.StringIO())
    second.detector.resume(store.open_incidents())
    second.writer.start()
    second.round()
    script.path_ok = True
    second.round()
    second.writer.close()
    (closed,) = database.incidents.values()
    assert closed.id == opened.id and closed.ended_at is not None


def test_only_successful_issuing_posts_count_as_issued() -> None:
    text = "\n".join(
        [
            "# HELP minwon_http_requests_total HTTP requests",
            "# TYPE minwon_http_requests_total counter",
            'minwon_http_requests_total{method="POST",route="/api/v1/issuances",status="201"} 7.0',
            'minwon_http_requests_total{method="POST",route="/api/v1/issuances",status="409"} 2.0',
            'minwon_http_requests_total{method="POST",route="/kiosk/issue",status="200"} 3.0',
            'minwon_http_requests_total{method="GET",route="/api/v1/issuances",status="200"} 5.0',
            'minwon_http_requests_total{method="POST",route="/api/v1/auth/login",status="200"} 9.0',
        ]
    )
    assert issued_total(text + "\n") == 10.0
