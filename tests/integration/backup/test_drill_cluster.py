"""Recovery drills on the real cluster with the real pgBackRest (the backup tests' cluster).

Given backups and then documents issued one by one through the app's API, each with the
moment its request left and the moment it was acknowledged, when a drill restores to a
TIME between two acknowledgements, then the restored copy holds exactly the documents
acknowledged before TIME, their fees and their issue events, with the status they had
then (one voided after TIME is still valid in the copy: its row was updated after TIME,
the xmin trap); a later TIME holds the later ones and the void; a drill compared against
the wrong moment fails naming what is missing; TIME in the future, before every backup
or unreadable is refused; the drills are recorded; and the scratch instance wrote
nothing to the production repository, left no process and no folder.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from minwon.adapters.drill_store import DrillStore
from minwon.operations.backup.drill import DrillParts, Fingerprint, run_drill
from minwon.operations.backup.proof import SqlLedger
from minwon.operations.backup.scratch import ScratchPostgres
from minwon.operations.cluster.drills import drill_parts, scratch_settings
from minwon.operations.cluster.local import LocalCluster
from minwon.operations.processes import pid_alive
from support.backup_cluster import minwon

pytestmark = [pytest.mark.slow, pytest.mark.cluster]
PASSWORD = "minwon-demo"


@dataclass
class Issued:
    id: str
    number: str
    sent: datetime  # the request left (its commit can be no earlier)
    acked: datetime  # the answer came (its commit was no later)


@dataclass
class Story:
    """i0, i1, [T1], i2, void(i0), [T2], i3."""

    docs: list[Issued]
    voided_at: datetime
    t1: datetime
    t2: datetime


def _token(base: str, kind: str, username: str) -> str:
    got = httpx.post(
        f"{base}/api/v1/auth/{kind}",
        json={"username": username, "password": PASSWORD},
        timeout=30,
    )
    assert got.status_code == 200, got.text
    return str(got.json()["token"])


def _issue(base: str, token: str) -> Issued:
    sent = datetime.now(UTC)
    got = httpx.post(
        f"{base}/api/v1/issuances",
        headers={"authorization": f"Bearer {token}", "idempotency-key": uuid.uuid4().hex},
        json={"document_type": "deungbon", "items": {"past_addresses": "recent5"}},
        timeout=60,
    )
    acked = datetime.now(UTC)
    assert got.status_code in (200, 201), got.text
    body = got.json()
    return Issued(str(body["id"]), str(body["number"]), sent, acked)


def _between(before: datetime, after: datetime) -> datetime:
    assert after - before > timedelta(milliseconds=100), (before, after)
    return before + (after - before) / 2


@pytest.fixture(scope="module")
def story(cluster: LocalCluster, backups: list[dict[str, Any]]) -> Story:
    base = cluster.app_urls()[0]
    citizen = _token(base, "citizen", "citizen1")
    supervisor = _token(base, "clerk", "supervisor-city")
    time.sleep(1.2)  # TIME must come a whole second after the newest backup ended
    docs = []
    for _ in range(2):
        docs.append(_issue(base, citizen))
        time.sleep(0.4)
    docs.append(_issue(base, citizen))
    time.sleep(0.4)
    got = httpx.post(
        f"{base}/api/v1/issuances/{docs[0].number}/void",
        headers={"authorization": f"Bearer {supervisor}"},
        json={"reason": "복구 훈련 시험"},
        timeout=60,
    )
    voided_at = datetime.now(UTC)
    assert got.status_code == 200, got.text
    time.sleep(0.4)
    docs.append(_issue(base, citizen))
    return Story(
        docs=docs,
        voided_at=voided_at,
        t1=_between(docs[1].acked, docs[2].sent),
        t2=_between(voided_at, docs[3].sent),
    )


class Peeking(ScratchPostgres):
    """The real scratch instance; reads the restored copy before it is thrown away."""

    seen: dict[str, Any]
    pids: list[int]
    folders: list[Path]

    def replay(self, *, target: datetime) -> SqlLedger:
        ledger = super().replay(target=target)
        assert self.pid is not None and self.folder is not None
        self.pids.append(self.pid)
        self.folders.append(self.folder)
        with ledger.engine.connect() as conn:
            self.seen["status"] = dict(conn.execute(text("SELECT id, status FROM issuances")).all())
            self.seen["fees"] = {r[0] for r in conn.execute(text("SELECT issuance_id FROM fees"))}
            events = "SELECT issuance_id, action FROM audit_events WHERE issuance_id IS NOT NULL"
            self.seen["events"] = set(conn.execute(text(events)).all())
        return ledger


@dataclass
class Seen:
    copy: dict[str, Any] = field(default_factory=dict)
    pids: list[int] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)


@pytest.fixture
def peek(cluster: LocalCluster) -> Iterator[tuple[Seen, DrillParts]]:
    seen = Seen()

    def scratch() -> Peeking:
        instance = Peeking(scratch_settings(cluster))
        instance.seen, instance.pids, instance.folders = seen.copy, seen.pids, seen.folders
        return instance

    with drill_parts(cluster) as parts:
        yield seen, replace(parts, scratch=scratch)


def _repository_files(cluster: LocalCluster) -> set[str]:
    archive = Path(cluster.spec.backup_repo) / "archive"
    return {str(p.relative_to(archive)) for p in archive.rglob("*") if p.is_file()}


def _timelines(files: set[str]) -> set[str]:
    return {Path(f).name[:8] for f in files if Path(f).name[:8].isalnum()}


def _assert_copy(seen: Seen, story: Story, present: list[int], absent: list[int]) -> None:
    docs = story.docs
    for i in present:
        assert docs[i].id in seen.copy["status"], f"i{i} acknowledged before TIME is missing"
        assert docs[i].id in seen.copy["fees"], f"the fee of i{i} is missing"
        assert (docs[i].id, "issue") in seen.copy["events"], f"the issue event of i{i}"
    for i in absent:
        assert docs[i].id not in seen.copy["status"], f"i{i} acknowledged after TIME is there"
        assert docs[i].id not in seen.copy["fees"]
        assert (docs[i].id, "issue") not in seen.copy["events"]


def test_a_drill_to_a_time_between_two_issuances_restores_exactly_those_before_it(
    cluster: LocalCluster, story: Story, peek: tuple[Seen, DrillParts]
) -> None:
    seen, parts = peek
    before = _repository_files(cluster)
    report = run_drill(parts, target=story.t1)
    assert report.passed, report.to_dict()
    _assert_copy(seen, story, present=[0, 1], absent=[2, 3])
    # Voided after TIME: its row was updated after TIME, yet it was valid then.
    assert seen.copy["status"][story.docs[0].id] == "valid"
    assert (story.docs[0].id, "void") not in seen.copy["events"]
    by_table = {p.table: p for p in report.proofs}
    assert by_table["issuances"].later >= 2 and by_table["fees"].later >= 2
    assert by_table["issuances"].expected == by_table["issuances"].restored >= 2
    assert report.restore_seconds and report.replay_seconds and report.total_seconds
    assert report.total_seconds >= report.restore_seconds + report.replay_seconds
    # Nothing of the scratch instance is left, and it archived nothing: no new timeline.
    assert seen.pids and not pid_alive(seen.pids[0])
    assert seen.folders and not seen.folders[0].exists()
    after = _repository_files(cluster)
    assert _timelines(after) == _timelines(before), sorted(after - before)
    assert not [f for f in after - before if f.endswith(".history")]
    with drill_parts(cluster) as fresh:
        assert isinstance(fresh.journal, DrillStore)
        last = fresh.journal.history(1)[0]
    assert last["id"] == report.id and last["outcome"] == "passed"
    assert last["backup_label"] == report.backup_label and last["total_seconds"] > 0


def test_a_later_drill_by_the_command_holds_the_later_issuance_and_the_void(
    cluster: LocalCluster, story: Story, peek: tuple[Seen, DrillParts]
) -> None:
    done = minwon(cluster, "dr", "drill", "--to", story.t2.isoformat(), "--json", timeout=600)
    assert done.returncode == 0, done.stderr + done.stdout
    report = json.loads(done.stdout)
    assert report["outcome"] == "passed"
    tables = {t["table"]: t for t in report["tables"]}
    assert set(tables) == {"issuances", "fees", "audit_events"}
    assert tables["issuances"]["committed_after"] >= 1  # i3
    for t in tables.values():
        assert t["expected"] == t["restored"] and t["missing"] == t["extra"] == 0, t
    for key in ("restore_seconds", "replay_seconds", "prove_seconds", "total_seconds"):
        assert report[key] > 0
    # The same moment read through the peeking scratch: i2 and the void are there, i3 not.
    seen, parts = peek
    assert run_drill(parts, target=story.t2).passed
    _assert_copy(seen, story, present=[0, 1, 2], absent=[3])
    assert seen.copy["status"][story.docs[0].id] == "voided"
    assert (story.docs[0].id, "void") in seen.copy["events"]


class Shifted(SqlLedger):
    """The live ledger asked about another moment than the restore's."""

    moment: datetime

    def fingerprint(self, table: str, upto: datetime | None) -> Fingerprint:
        return super().fingerprint(table, self.moment)

    def rows(self, table: str, upto: datetime | None) -> dict[str, int]:
        return super().rows(table, self.moment)


def test_a_copy_that_lacks_what_committed_before_the_compared_time_fails_the_drill(
    cluster: LocalCluster, story: Story, peek: tuple[Seen, DrillParts]
) -> None:
    _, parts = peek
    assert isinstance(parts.live, SqlLedger)
    live = Shifted(parts.live.engine, live=True)
    live.moment = story.t2  # restored to T1, compared with T2: i2, its fee, events missing
    report = run_drill(replace(parts, live=live), target=story.t1)
    assert not report.passed and report.code == "dr.mismatch"
    by_table = {p.table: p for p in report.proofs}
    assert by_table["issuances"].missing == 1 and by_table["issuances"].changed == 1  # i0's void
    assert by_table["fees"].missing == 1 and by_table["fees"].extra == 0
    assert by_table["audit_events"].missing >= 2  # i2's issue and i0's void, at least
    assert "issuances" in report.detail and "누락 1" in report.detail
    engine = create_engine(cluster.database_url())
    try:
        assert DrillStore(engine).history(1)[0]["outcome"] == "failed"
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("when", "code"),
    [
        (lambda: (datetime.now(UTC) + timedelta(hours=1)).isoformat(), "dr.future"),
        (lambda: "2001-01-01T09:00:00+09:00", "dr.before_backups"),
        (lambda: "어제 저녁", "dr.time"),
    ],
)
def test_a_time_in_the_future_before_every_backup_or_unreadable_is_refused(
    cluster: LocalCluster, backups: list[dict[str, Any]], when: Any, code: str
) -> None:
    done = minwon(cluster, "dr", "drill", "--to", when())
    assert done.returncode == 2, done.stderr
    assert f"({code})" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
