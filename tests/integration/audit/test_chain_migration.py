"""Events recorded before the hash chain existed are linked by the migration, in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from minwon.adapters.audit_store import AuditLog
from minwon.adapters.database import make_engine
from minwon.adapters.migrate import create_database, upgrade
from minwon.audit.checkpoints import check_trail
from minwon.audit.model import AuditEvent


def test_old_events_are_linked_in_the_order_they_were_recorded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    create_database(url)
    engine = make_engine(url)
    upgrade(engine, "0002")
    old = sa.table(
        "audit_events",
        *(sa.column(n) for n in ("id", "action", "outcome", "actor_kind", "actor_id")),
        sa.column("channel"),
        sa.column("at", sa.DateTime()),
        sa.column("detail", sa.JSON()),
    )
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for i, event_id in enumerate(("c" * 32, "a" * 32, "b" * 32)):
            conn.execute(
                old.insert().values(
                    id=event_id,
                    action="issue",
                    outcome="issued",
                    actor_kind="citizen",
                    actor_id=f"acct-{i}",
                    channel="online",
                    at=(start + timedelta(minutes=i)).replace(tzinfo=None),
                    detail={"n": i},
                )
            )
    upgrade(engine)
    with engine.connect() as conn:
        log = AuditLog(conn)
        rows = list(log.chained())
        assert [r.event.actor_id for r in rows] == ["acct-0", "acct-1", "acct-2"]
        assert check_trail(rows, [], lambda kid: None).ok
        assert log.head() == (3, rows[-1].hash)
    # And the next event links after them.
    with engine.begin() as conn:
        AuditLog(conn).record(
            AuditEvent(
                id="d" * 32,
                at=start + timedelta(hours=1),
                action="lookup",
                outcome="found:0",
                actor_kind="clerk",
                actor_id="clerk-1",
                channel="counter",
            )
        )
    with engine.connect() as conn:
        assert check_trail(list(AuditLog(conn).chained()), [], lambda kid: None).events == 4
    engine.dispose()
