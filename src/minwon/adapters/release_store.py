"""The record of releases (table ``releases``): written once per ``minwon release``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from minwon.adapters.tables import releases

COLUMNS = (
    "build_id",
    "version",
    "who",
    "started_at",
    "outcome",
    "code",
    "reason",
    "canary",
    "decision_seconds",
    "steps",
)


class ReleaseStore:
    """Keeps each release's report; lists them newest first."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, release: dict[str, Any], *, finished_at: datetime | None = None) -> int:
        """Writes one finished release (``ReleaseReport.to_row()``); returns its id."""
        missing = [c for c in COLUMNS if c not in release]
        if missing:
            raise ValueError(f"a release record needs {missing}")
        row = {c: release[c] for c in COLUMNS}
        row["finished_at"] = finished_at or datetime.now(UTC)
        with self._engine.begin() as conn:
            key = conn.execute(insert(releases).values(**row)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def history(self, limit: int = 20) -> list[dict[str, Any]]:
        """Returns the last `limit` releases, newest first."""
        query = select(releases).order_by(releases.c.started_at.desc(), releases.c.id.desc())
        with self._engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query.limit(limit))]
