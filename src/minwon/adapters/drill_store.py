"""The record of recovery drills (table ``recovery_drills``): a row when a drill starts,
completed when it ends, so one that dies midway still shows as ``running``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, insert, select, update

from minwon.adapters.drill_tables import recovery_drills


class DrillRow(Protocol):
    """A drill's report as this store writes it (``operations/backup/drill.py``)."""

    id: str

    def to_row(self) -> dict[str, Any]:
        """Returns the report as the columns of ``recovery_drills``."""
        ...


class DrillStore:
    """Keeps each drill's report in the live database (replicated and backed up with
    the data it vouches for); lists them newest first."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def started(self, report: DrillRow) -> None:
        """Records a drill that begins (outcome ``running``)."""
        with self._engine.begin() as conn:
            conn.execute(insert(recovery_drills).values(**report.to_row()))

    def finished(self, report: DrillRow) -> None:
        """Completes the drill's row with its figures and verdict."""
        row = report.to_row()
        del row["id"]
        with self._engine.begin() as conn:
            conn.execute(
                update(recovery_drills).where(recovery_drills.c.id == report.id).values(**row)
            )

    def history(self, limit: int = 20) -> list[dict[str, Any]]:
        """Returns the last `limit` drills, newest first."""
        query = select(recovery_drills).order_by(recovery_drills.c.started_at.desc())
        with self._engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query.limit(limit))]

    def last_passed(self) -> datetime | None:
        """Returns when the last drill that passed finished (None: never)."""
        query = select(recovery_drills.c.finished_at).where(recovery_drills.c.outcome == "passed")
        with self._engine.connect() as conn:
            found = conn.execute(query.order_by(recovery_drills.c.finished_at.desc()).limit(1))
            return found.scalar()
