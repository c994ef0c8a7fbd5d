"""The local journal of incidents and notes: ``<root>/incidents.jsonl``.

Used while the database does not answer: each change of an incident, and each note, is
one JSON line appended under an exclusive ``fcntl`` lock (the watcher and ``minwon ops
note`` may write at once). The latest line of an incident wins. ``drain`` hands every
entry to a callback and empties the file only if that callback returned, under the same
lock: a merge cut short leaves the journal whole, and merging it again is harmless
because the database side is idempotent by id.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from minwon.operations.incidents.model import Incident, Note

JOURNAL_FILE = "incidents.jsonl"


class Journal:
    """Incidents and notes kept in a local file until the database takes them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(f".{path.name}.lock")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _append(self, entries: list[dict[str, Any]]) -> None:
        with self._locked(), open(self.path, "a", encoding="utf-8") as out:
            for entry in entries:
                out.write(json.dumps(entry, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())

    def save(self, incidents: list[Incident]) -> None:
        """Appends the new version of each incident."""
        self._append([{"type": "incident", **i.to_dict()} for i in incidents])

    def add_note(self, note: Note) -> None:
        """Appends a note."""
        self._append([{"type": "note", **note.to_dict()}])

    def _read(self) -> tuple[dict[str, Incident], list[Note]]:
        incidents: dict[str, Incident] = {}
        notes: dict[str, Note] = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return {}, []
        for line in lines:
            try:
                raw = json.loads(line)
                if raw.get("type") == "note":
                    note = Note.from_dict(raw)
                    notes[note.id] = note
                else:
                    incident = Incident.from_dict(raw)
                    known = incidents.get(incident.id)
                    if known is None or known.updated_at <= incident.updated_at:
                        incidents[incident.id] = incident
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash: the lines around it still count
        return incidents, list(notes.values())

    def read(self) -> tuple[list[Incident], list[Note]]:
        """Returns the latest version of each incident and every note in the journal."""
        with self._locked():
            incidents, notes = self._read()
        return list(incidents.values()), notes

    @property
    def empty(self) -> bool:
        """Returns True when there is nothing to merge."""
        try:
            return self.path.stat().st_size == 0
        except FileNotFoundError:
            return True

    def drain(self, merge: Callable[[list[Incident], list[Note]], None]) -> int:
        """Hands the journal to `merge`; empties it once `merge` returned. Returns the
        number of entries merged (a `merge` that raises leaves the journal as it was)."""
        with self._locked():
            incidents, notes = self._read()
            if not incidents and not notes:
                return 0
            merge(list(incidents.values()), notes)
            self.path.write_text("", encoding="utf-8")
        return len(incidents) + len(notes)
