"""The server instances that are alive: each beats its row a few times a second
(implements operations.heartbeat's port; read by the idempotency claim)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from minwon.adapters import tables as t


class InstanceStore:
    """Rows of ``server_instances``: who runs, since when, alive until when."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def beat(
        self, *, instance: str, host: str, pid: int, now: datetime, alive_until: datetime
    ) -> None:
        """Renews the instance's row (creating it on the first beat)."""
        table = t.server_instances
        renewed = self._conn.execute(
            update(table).where(table.c.id == instance).values(beat_at=now, alive_until=alive_until)
        )
        if renewed.rowcount == 0:
            self._conn.execute(
                insert(table).values(
                    id=instance,
                    host=host,
                    pid=pid,
                    started_at=now,
                    beat_at=now,
                    alive_until=alive_until,
                )
            )

    def retire(self, *, instance: str, now: datetime) -> None:
        """Marks the instance dead now (a clean shutdown): its claims are free at once."""
        table = t.server_instances
        self._conn.execute(update(table).where(table.c.id == instance).values(alive_until=now))

    def prune(self, *, before: datetime) -> int:
        """Deletes rows of instances dead since before `before`; returns how many."""
        table = t.server_instances
        return self._conn.execute(delete(table).where(table.c.alive_until < before)).rowcount

    def alive_until(self, instance: str) -> datetime | None:
        """Returns until when the instance counts as alive; None if it never beat."""
        table = t.server_instances
        return self._conn.execute(
            select(table.c.alive_until).where(table.c.id == instance)
        ).scalar_one_or_none()
