"""Incidents and their notes in the database (tables ``incidents``, ``incident_notes``).

Rows go in and out as plain dicts with wall times in seconds (the shape of
``operations/incidents/model.py``'s ``to_dict``), so this adapter imports nothing of
operations. Every write is idempotent: an incident row is replaced only by a version at
least as new (``updated_at``), a note with a known id is skipped; a journal merged twice
changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from minwon.adapters.incident_tables import incident_notes, incidents

_TIMES = ("started_at", "ended_at", "settled_at", "updated_at")


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _to_db(row: dict[str, Any], times: Sequence[str]) -> dict[str, Any]:
    out = dict(row)
    for key in times:
        value = out.get(key)
        out[key] = None if value is None else datetime.fromtimestamp(float(value), UTC)
    return out


def _from_db(row: dict[str, Any], times: Sequence[str]) -> dict[str, Any]:
    out = dict(row)
    for key in times:
        value = out.get(key)
        out[key] = None if value is None else value.timestamp()
    return out


class IncidentTable:
    """Reads and writes incident rows and note rows; idempotent writes."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, rows: Sequence[dict[str, Any]]) -> None:
        """Inserts each incident, or replaces the stored one if this one is not older."""
        columns = set(incidents.c.keys())
        with self._engine.begin() as conn:
            for raw in rows:
                row = _to_db({k: v for k, v in raw.items() if k in columns}, _TIMES)
                found = conn.execute(
                    select(incidents.c.updated_at).where(incidents.c.id == row["id"])
                ).first()
                if found is None:
                    conn.execute(insert(incidents).values(**row))
                elif found[0] <= row["updated_at"]:
                    conn.execute(update(incidents).where(incidents.c.id == row["id"]).values(**row))

    def add_notes(self, rows: Sequence[dict[str, Any]]) -> None:
        """Inserts each note whose id is not stored yet."""
        with self._engine.begin() as conn:
            for raw in rows:
                row = _to_db(raw, ("at",))
                known = conn.execute(
                    select(incident_notes.c.id).where(incident_notes.c.id == row["id"])
                ).first()
                if known is None:
                    conn.execute(insert(incident_notes).values(**row))

    def rows(self, *, limit: int = 100, open_only: bool = False) -> list[dict[str, Any]]:
        """Returns the last `limit` incidents, newest first (only unsettled ones if asked)."""
        query = select(incidents).order_by(incidents.c.started_at.desc()).limit(limit)
        if open_only:
            query = query.where(incidents.c.settled_at.is_(None))
        with self._engine.connect() as conn:
            return [_from_db(dict(r._mapping), _TIMES) for r in conn.execute(query)]

    def overlapping(self, start: float, end: float) -> list[dict[str, Any]]:
        """Returns the incidents begun before `end` and not settled by `start`, oldest first."""
        c = incidents.c
        query = (
            select(incidents)
            .where(c.started_at < _at(end))
            .where(c.settled_at.is_(None) | (c.settled_at > _at(start)))
            .order_by(c.started_at)
        )
        with self._engine.connect() as conn:
            return [_from_db(dict(r._mapping), _TIMES) for r in conn.execute(query)]

    def find(self, prefix: str) -> list[dict[str, Any]]:
        """Returns the incidents whose id starts with `prefix`."""
        query = select(incidents).where(incidents.c.id.startswith(prefix, autoescape=True))
        with self._engine.connect() as conn:
            return [_from_db(dict(r._mapping), _TIMES) for r in conn.execute(query.limit(5))]

    def notes(self, incident_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Returns the notes of these incidents, oldest first."""
        if not incident_ids:
            return []
        query = (
            select(incident_notes)
            .where(incident_notes.c.incident_id.in_(list(incident_ids)))
            .order_by(incident_notes.c.at)
        )
        with self._engine.connect() as conn:
            return [_from_db(dict(r._mapping), ("at",)) for r in conn.execute(query)]
