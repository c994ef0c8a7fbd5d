"""The traffic log in the database (table ``traffic_minutes``, adapters/traffic_tables.py);
implements ``traffic.TrafficLog``. And the report read from one database (``read_report``:
its incidents and its minutes), as the CLI and the ``/ops`` page read it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import SQLAlchemyError

from minwon.adapters.traffic_tables import traffic_minutes
from minwon.operations.availability.period import Period
from minwon.operations.availability.report import AvailabilityReport, build
from minwon.operations.availability.traffic import ChannelMinute
from minwon.operations.incidents.model import IncidentRecord
from minwon.operations.incidents.store import SqlIncidents, StoreUnavailableError


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class SqlTrafficLog:
    """Minutes per instance and channel; a minute written again replaces the stored one."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, minutes: Sequence[ChannelMinute]) -> None:
        """Stores each minute in one transaction, replacing rows with the same key."""
        t = traffic_minutes
        with self._engine.begin() as conn:
            for m in minutes:
                conn.execute(
                    delete(t).where(
                        t.c.instance == m.instance,
                        t.c.minute == _at(m.minute),
                        t.c.channel == m.channel,
                    )
                )
                conn.execute(
                    insert(t).values(
                        instance=m.instance,
                        minute=_at(m.minute),
                        channel=m.channel,
                        ok=m.ok,
                        failed=m.failed,
                        issued=m.issued,
                        latency=list(m.latency),
                    )
                )

    def between(self, start: float, end: float) -> list[ChannelMinute]:
        """Returns the minutes starting in [start, end), oldest first."""
        t = traffic_minutes
        query = (
            select(t)
            .where(t.c.minute >= _at(start), t.c.minute < _at(end))
            .order_by(t.c.minute, t.c.channel, t.c.instance)
        )
        with self._engine.connect() as conn:
            return [
                ChannelMinute(
                    instance=r.instance,
                    minute=r.minute.timestamp(),
                    channel=r.channel,
                    ok=r.ok,
                    failed=r.failed,
                    issued=r.issued,
                    latency=tuple(int(n) for n in r.latency),
                )
                for r in conn.execute(query)
            ]


def read_report(engine: Engine, period: Period, *, target: float, now: float) -> AvailabilityReport:
    """Returns the report of `period` from the database's incidents and traffic minutes;
    raises StoreUnavailableError if the database does not answer (or lacks the tables)."""
    try:
        return build(SqlIncidents(engine), SqlTrafficLog(engine), period, target=target, now=now)
    except SQLAlchemyError as exc:
        raise StoreUnavailableError(f"{type(exc).__name__}: {exc}".splitlines()[0]) from exc


def open_incidents(engine: Engine) -> list[IncidentRecord]:
    """Returns the incidents not settled yet, newest first (StoreUnavailableError if the
    database does not answer)."""
    return SqlIncidents(engine).records(limit=50, open_only=True)
