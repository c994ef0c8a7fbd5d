"""The record of releases (table ``releases``): written once per ``minwon release``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from minwon.adapters.tables import releases
from minwon.operations.release.canary import ReleaseReport


class ReleaseStore:
    """Keeps each release's report; lists them newest first."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, report: ReleaseReport, *, finished_at: datetime | None = None) -> int:
        """Writes the finished release; returns its id."""
        if report.outcome is None:
            raise ValueError("a release is recorded once it has an outcome")
        row = {
            "build_id": report.build.id,
            "version": report.build.version,
            "who": report.who,
            "started_at": datetime.fromtimestamp(report.started_at, UTC),
            "finished_at": finished_at or datetime.now(UTC),
            "outcome": report.outcome.value,
            "code": report.code,
            "reason": report.reason,
            "canary": report.canary,
            "decision_seconds": report.decision_seconds,
            "steps": [asdict(step) for step in report.steps],
        }
        with self._engine.begin() as conn:
            key = conn.execute(insert(releases).values(**row)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def history(self, limit: int = 20) -> list[dict[str, Any]]:
        """Returns the last `limit` releases, newest first."""
        query = select(releases).order_by(releases.c.started_at.desc(), releases.c.id.desc())
        with self._engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query.limit(limit))]
