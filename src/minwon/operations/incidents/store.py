"""Where incidents are kept: the database, or the local journal while it does not answer.

``IncidentStore`` is the port; ``SqlIncidents`` the database (through
``adapters/incident_store.py``), ``MemoryIncidents`` the fake, and ``DurableIncidents``
the watcher's: every write goes to the database, or to the journal if the database
fails, and the journal is merged into the database (idempotently, by id) as soon as a
write there succeeds again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from minwon.adapters.incident_store import IncidentTable
from minwon.operations.incidents.journal import Journal
from minwon.operations.incidents.model import Incident, IncidentRecord, Note

T = TypeVar("T")


class StoreUnavailableError(Exception):
    """The store did not answer (the database is down or unreachable)."""


class IncidentStore(Protocol):
    """Keeps incidents and their notes."""

    def save(self, incidents: Sequence[Incident]) -> None:
        """Stores the new version of each incident (idempotent by id)."""
        ...

    def add_notes(self, notes: Sequence[Note]) -> None:
        """Stores each note (idempotent by id)."""
        ...

    def records(self, *, limit: int = 100, open_only: bool = False) -> list[IncidentRecord]:
        """Returns the last `limit` incidents with their notes, newest first."""
        ...

    def find(self, prefix: str) -> list[Incident]:
        """Returns the incidents whose id starts with `prefix`."""
        ...

    def between(self, start: float, end: float) -> list[IncidentRecord]:
        """Returns the incidents overlapping [start, end) (begun before `end`, not settled
        by `start`; open ones included) with their notes, oldest first."""
        ...


class SqlIncidents:
    """Incidents in the database; any database error is a StoreUnavailableError."""

    def __init__(self, engine: Engine) -> None:
        self._table = IncidentTable(engine)

    def save(self, incidents: Sequence[Incident]) -> None:
        """Upserts each incident, never over a newer version."""
        self._call(lambda: self._table.save([i.to_dict() for i in incidents]))

    def add_notes(self, notes: Sequence[Note]) -> None:
        """Inserts each note not stored yet."""
        self._call(lambda: self._table.add_notes([n.to_dict() for n in notes]))

    def records(self, *, limit: int = 100, open_only: bool = False) -> list[IncidentRecord]:
        """Returns the last incidents with their notes, newest first."""

        return self._call(
            lambda: self._with_notes(self._table.rows(limit=limit, open_only=open_only))
        )

    def between(self, start: float, end: float) -> list[IncidentRecord]:
        """Returns the incidents overlapping [start, end) with their notes, oldest first."""
        return self._call(lambda: self._with_notes(self._table.overlapping(start, end)))

    def _with_notes(self, rows: list[dict[str, Any]]) -> list[IncidentRecord]:
        notes = [Note.from_dict(n) for n in self._table.notes([r["id"] for r in rows])]
        return [
            IncidentRecord(
                Incident.from_dict(r), tuple(n for n in notes if n.incident_id == r["id"])
            )
            for r in rows
        ]

    def find(self, prefix: str) -> list[Incident]:
        """Returns the incidents whose id starts with `prefix`."""
        return self._call(lambda: [Incident.from_dict(r) for r in self._table.find(prefix)])

    def _call(self, work: Callable[[], T]) -> T:
        try:
            return work()
        except SQLAlchemyError as exc:
            raise StoreUnavailableError(f"{type(exc).__name__}: {exc}".splitlines()[0]) from exc


class MemoryIncidents:
    """The fake: incidents and notes in memory, with the database's idempotent writes;
    `down` makes every call fail as a stopped database would."""

    def __init__(self) -> None:
        self.incidents: dict[str, Incident] = {}
        self.notes: dict[str, Note] = {}
        self.down = False
        self.writes = 0

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailableError("the fake database is down")

    def save(self, incidents: Sequence[Incident]) -> None:
        """Upserts each incident, never over a newer version."""
        self._check()
        for i in incidents:
            known = self.incidents.get(i.id)
            if known is None or known.updated_at <= i.updated_at:
                self.incidents[i.id] = i
            self.writes += 1

    def add_notes(self, notes: Sequence[Note]) -> None:
        """Inserts each note not stored yet."""
        self._check()
        for n in notes:
            self.notes.setdefault(n.id, n)

    def records(self, *, limit: int = 100, open_only: bool = False) -> list[IncidentRecord]:
        """Returns the last incidents with their notes, newest first."""
        self._check()
        found = sorted(self.incidents.values(), key=lambda i: i.started_at, reverse=True)
        found = [i for i in found if i.is_open or not open_only][:limit]
        by = sorted(self.notes.values(), key=lambda n: n.at)
        return [IncidentRecord(i, tuple(n for n in by if n.incident_id == i.id)) for i in found]

    def find(self, prefix: str) -> list[Incident]:
        """Returns the incidents whose id starts with `prefix`."""
        self._check()
        return [i for i in self.incidents.values() if i.id.startswith(prefix)]

    def between(self, start: float, end: float) -> list[IncidentRecord]:
        """Returns the incidents overlapping [start, end) with their notes, oldest first."""
        self._check()
        found = [
            i
            for i in sorted(self.incidents.values(), key=lambda i: i.started_at)
            if i.started_at < end and (i.settled_at is None or i.settled_at > start)
        ]
        by = sorted(self.notes.values(), key=lambda n: n.at)
        return [IncidentRecord(i, tuple(n for n in by if n.incident_id == i.id)) for i in found]


class DurableIncidents:
    """The database when it answers, the journal when it does not; merges the journal
    into the database before the next write that succeeds there."""

    def __init__(self, database: IncidentStore, journal: Journal) -> None:
        self.database = database
        self.journal = journal

    def merge(self) -> int:
        """Moves the journal into the database; returns the entries merged (0 if none).
        Raises StoreUnavailableError (the journal is kept) if the database fails."""
        if self.journal.empty:
            return 0

        def into_database(incidents: list[Incident], notes: list[Note]) -> None:
            self.database.save(incidents)
            self.database.add_notes(notes)

        return self.journal.drain(into_database)

    def save(self, incidents: Sequence[Incident]) -> bool:
        """Stores the incidents; returns False if they went to the journal instead."""
        try:
            self.merge()
            self.database.save(incidents)
            return True
        except StoreUnavailableError:
            self.journal.save(list(incidents))
            return False

    def add_note(self, note: Note) -> bool:
        """Stores the note; returns False if it went to the journal instead."""
        try:
            self.merge()
            self.database.add_notes([note])
            return True
        except StoreUnavailableError:
            self.journal.add_note(note)
            return False

    def open_incidents(self) -> list[Incident]:
        """Returns the incidents left open, from the database and the journal (the
        journal's version wins: it is the newer)."""
        found: dict[str, Incident] = {}
        with contextlib.suppress(StoreUnavailableError):
            found = {r.incident.id: r.incident for r in self.database.records(open_only=True)}
        for incident in self.journal.read()[0]:
            known = found.get(incident.id)
            if known is None or known.updated_at <= incident.updated_at:
                found[incident.id] = incident
        return [i for i in found.values() if i.is_open]

    def records(self, *, limit: int = 100) -> list[IncidentRecord]:
        """Returns the incidents with their notes: the database's and the journal's."""
        by_id: dict[str, IncidentRecord] = {}
        with contextlib.suppress(StoreUnavailableError):
            by_id = {r.incident.id: r for r in self.database.records(limit=limit)}
        merged = self._with_journal(by_id, lambda _: True)
        return sorted(merged, key=lambda r: r.incident.started_at, reverse=True)[:limit]

    def between(self, start: float, end: float) -> list[IncidentRecord]:
        """Returns the incidents overlapping [start, end), the database's and the journal's
        (the journal's version wins), with their notes, oldest first."""
        by_id: dict[str, IncidentRecord] = {}
        with contextlib.suppress(StoreUnavailableError):
            by_id = {r.incident.id: r for r in self.database.between(start, end)}
        merged = self._with_journal(
            by_id,
            lambda i: i.started_at < end and (i.settled_at is None or i.settled_at > start),
        )
        return sorted(merged, key=lambda r: r.incident.started_at)

    def _with_journal(
        self, by_id: dict[str, IncidentRecord], wanted: Callable[[Incident], bool]
    ) -> list[IncidentRecord]:
        incidents, notes = self.journal.read()
        for incident in incidents:
            known = by_id.get(incident.id)
            if known is None or known.incident.updated_at <= incident.updated_at:
                by_id[incident.id] = IncidentRecord(incident, known.notes if known else ())
        for note in notes:
            record = by_id.get(note.incident_id)
            if record is not None and note.id not in {n.id for n in record.notes}:
                by_id[note.incident_id] = IncidentRecord(record.incident, (*record.notes, note))
        return [r for r in by_id.values() if wanted(r.incident)]
