"""Incidents are kept in the database, in a local journal while it does not answer, and
the journal is merged once it answers: idempotently, by id, never over a newer version."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from minwon.adapters.database import make_engine
from minwon.adapters.migrate import upgrade
from minwon.operations.incidents.journal import Journal
from minwon.operations.incidents.model import Cause, Incident, Note, NoteKind
from minwon.operations.incidents.store import (
    DurableIncidents,
    MemoryIncidents,
    SqlIncidents,
    StoreUnavailableError,
)


def incident(at: float = 100.0, component: str = "haproxy:1") -> Incident:
    return Incident.open(component, Cause.PROCESS_EXIT, "pid 9 is gone", at=at)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    return engine


def test_the_database_keeps_incidents_and_notes_with_who_and_when(engine: Engine) -> None:
    store = SqlIncidents(engine)
    opened = incident()
    store.save([opened])
    closed = opened.but(ended_at=101.25, settled_at=102.0, cause_detail="SIGKILL", updated_at=102.0)
    store.save([closed])
    note = Note.new(
        opened.id, author="김운영", kind=NoteKind.ROOT_CAUSE, text="전원 불량", at=200.5
    )
    store.add_notes([note, note])  # twice: kept once
    (record,) = store.records()
    assert record.incident == closed
    assert record.incident.duration == 1.25
    assert record.notes == (note,)
    assert store.find(opened.id[:6]) == [closed]


def test_an_older_version_never_overwrites_a_newer_one(engine: Engine) -> None:
    store = SqlIncidents(engine)
    opened = incident()
    closed = opened.but(ended_at=101.0, settled_at=101.0, updated_at=101.0)
    store.save([closed])
    store.save([opened])  # a journal line older than what the database has
    assert store.records()[0].incident == closed
    assert store.records(open_only=True) == []


def test_while_the_database_is_down_incidents_go_to_the_journal_and_merge_once(
    tmp_path: Path,
) -> None:
    database = MemoryIncidents()
    durable = DurableIncidents(database, Journal(tmp_path / "incidents.jsonl"))
    database.down = True
    opened = incident()
    assert durable.save([opened]) is False
    note = Note.new(opened.id, author="op", kind=NoteKind.COMMENT, text="보는 중", at=100.5)
    assert durable.add_note(note) is False
    closed = opened.but(ended_at=103.0, settled_at=103.0, updated_at=103.0)
    assert durable.save([closed]) is False
    # While it is down, the list still shows the journal's version, with its note.
    (shown,) = durable.records()
    assert shown.incident == closed and shown.notes == (note,)
    database.down = False
    other = incident(at=200.0, component="app:2")
    assert durable.save([other]) is True
    assert database.incidents == {opened.id: closed, other.id: other}
    assert list(database.notes.values()) == [note]
    assert durable.journal.empty
    assert durable.merge() == 0  # nothing left to merge


def test_a_merge_cut_short_keeps_the_journal_and_a_second_merge_is_harmless(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "incidents.jsonl")
    opened = incident()
    journal.save([opened])

    class Flaky(MemoryIncidents):
        def add_notes(self, notes: object) -> None:  # type: ignore[override]
            raise StoreUnavailableError("went away mid-merge")

    flaky = Flaky()
    journal.add_note(Note.new(opened.id, author="a", kind=NoteKind.COMMENT, text="x", at=1.0))
    with pytest.raises(StoreUnavailableError):
        DurableIncidents(flaky, journal).merge()
    assert not journal.empty and flaky.incidents == {opened.id: opened}
    database = MemoryIncidents()
    database.incidents = dict(flaky.incidents)
    assert DurableIncidents(database, journal).merge() == 2
    assert DurableIncidents(database, journal).merge() == 0
    assert database.incidents == {opened.id: opened} and len(database.notes) == 1


def test_the_journal_merges_into_a_real_database(engine: Engine, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "incidents.jsonl")
    opened = incident()
    journal.save([opened, opened.but(ended_at=100.5, settled_at=100.5, updated_at=100.5)])
    journal.add_note(Note.new(opened.id, author="b", kind=NoteKind.PREVENTION, text="y", at=2.0))
    sql = SqlIncidents(engine)
    assert DurableIncidents(sql, journal).merge() == 2
    journal.save([opened])  # an old line written again: merged, changes nothing
    DurableIncidents(sql, journal).merge()
    (record,) = sql.records()
    assert record.incident.ended_at == 100.5 and len(record.notes) == 1


def test_a_torn_last_line_does_not_lose_the_lines_before_it(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "incidents.jsonl")
    opened = incident()
    journal.save([opened])
    with open(journal.path, "a", encoding="utf-8") as out:
        out.write('{"type": "incident", "id": "abc", "comp')
    assert journal.read()[0] == [opened]


def test_open_incidents_come_from_the_database_and_the_journal(tmp_path: Path) -> None:
    database = MemoryIncidents()
    durable = DurableIncidents(database, Journal(tmp_path / "incidents.jsonl"))
    in_db = incident(component="etcd")
    durable.save([in_db])
    database.down = True
    in_journal = incident(component="app:1")
    durable.save([in_journal])
    durable.save([in_db.but(ended_at=5.0, settled_at=5.0, updated_at=500.0)])
    database.down = False
    assert [i.id for i in durable.open_incidents()] == [in_journal.id]


@pytest.mark.parametrize("kind", ["sql", "memory", "durable"])
def test_a_period_holds_the_incidents_overlapping_it(
    engine: Engine, tmp_path: Path, kind: str
) -> None:
    # The period is [1000, 2000): what settled before it or began at its end is not in it.
    def made(at: float, settled: float | None, component: str) -> Incident:
        found = incident(at=at, component=component)
        return found if settled is None else found.but(ended_at=settled, settled_at=settled)

    before = made(100.0, 1000.0, "app:1")
    crossing_start = made(900.0, 1000.5, "app:2")
    inside = made(1500.0, 1600.0, "haproxy:1")
    still_open = made(500.0, None, "etcd")
    crossing_end = made(1999.0, 2500.0, "haproxy:2")
    at_the_end = made(2000.0, 2100.0, "postgres:pg1")
    everything = [before, crossing_start, inside, still_open, crossing_end, at_the_end]
    note = Note.new(inside.id, author="김운영", kind=NoteKind.PREVENTION, text="점검", at=1700)
    if kind == "memory":
        store: MemoryIncidents | SqlIncidents | DurableIncidents = MemoryIncidents()
    else:
        store = SqlIncidents(engine)
    if kind == "durable":  # one incident only in the journal (written while the database was down)
        journal = Journal(tmp_path / "incidents.jsonl")
        journal.save([still_open])
        store = DurableIncidents(SqlIncidents(engine), journal)
        store.database.save([i for i in everything if i is not still_open])
        store.database.add_notes([note])
    else:
        store.save(everything)
        store.add_notes([note])
    found = store.between(1000.0, 2000.0)
    assert [r.incident.component for r in found] == ["etcd", "app:2", "haproxy:1", "haproxy:2"]
    assert found[2].notes == (note,)
