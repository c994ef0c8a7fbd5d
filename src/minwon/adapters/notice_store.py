"""The notice outbox, deliveries per channel and residents' preferences on SQL (implements
notifications.ports.NoticeStore). Claims are compare-and-set updates, like idempotency
keys: a delivery changes hands only from the state and attempt count its claimer read."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, exists, insert, not_, or_, select, update
from sqlalchemy.exc import IntegrityError

from minwon.adapters import party_tables as pt
from minwon.adapters import tables as t
from minwon.notifications.model import (
    TERMINAL,
    Delivery,
    DeliveryState,
    InboxEntry,
    Notice,
    NoticeChannel,
    NoticePreferences,
)

_TERMINAL = [s.value for s in TERMINAL]
_CLAIMED = [DeliveryState.SENDING.value, DeliveryState.HANDED_OVER.value]


def _notice(row: Any) -> Notice:
    return Notice(
        id=row.id,
        resident_id=row.resident_id,
        kind=row.kind,
        issuance_id=row.issuance_id,
        created_at=row.created_at,
        message=row.message,
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        notice_id=row.notice_id,
        channel=NoticeChannel(row.channel),
        state=DeliveryState(row.state),
        attempts=row.attempts,
        address=row.address,
        next_attempt_at=row.next_attempt_at,
        lease_until=row.lease_until,
        holder=row.holder,
        last_error=row.last_error,
        finished_at=row.finished_at,
    )


class NoticeStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # The outbox (the issuing transaction) -------------------------------------------

    def enqueue(self, notice: Notice) -> None:
        self._conn.execute(
            insert(t.notifications).values(
                id=notice.id,
                resident_id=notice.resident_id,
                kind=notice.kind,
                issuance_id=notice.issuance_id,
                created_at=notice.created_at,
                message=notice.message[:400],
            )
        )

    def wants_copy_notices(self, resident_id: str) -> bool:
        p = pt.notice_preferences
        value = self._conn.execute(
            select(p.c.copy_notices).where(p.c.resident_id == resident_id)
        ).scalar()
        return bool(value)

    # The worker ------------------------------------------------------------------------

    def unrouted(self, limit: int) -> list[tuple[Notice, NoticePreferences]]:
        n, d, p = t.notifications, pt.notice_deliveries, pt.notice_preferences
        rows = self._conn.execute(
            select(n, p.c.email, p.c.phone, p.c.copy_notices)
            .select_from(n.outerjoin(p, p.c.resident_id == n.c.resident_id))
            .where(n.c.sent_at.is_(None), not_(exists().where(d.c.notice_id == n.c.id)))
            .order_by(n.c.created_at, n.c.id)
            .limit(limit)
        ).all()
        return [
            (
                _notice(r),
                NoticePreferences(r.resident_id, r.email, r.phone, bool(r.copy_notices)),
            )
            for r in rows
        ]

    def add_delivery(
        self, notice_id: str, channel: NoticeChannel, address: str | None, now: datetime
    ) -> bool:
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    insert(pt.notice_deliveries).values(
                        notice_id=notice_id,
                        channel=channel.value,
                        address=address,
                        state=DeliveryState.PENDING.value,
                        attempts=0,
                        next_attempt_at=now,
                    )
                )
        except IntegrityError:
            return False  # another worker routed it first
        return True

    def due(self, now: datetime, limit: int) -> list[Delivery]:
        d = pt.notice_deliveries
        rows = self._conn.execute(
            select(d)
            .where(
                or_(
                    and_(
                        d.c.state == DeliveryState.PENDING.value,
                        d.c.next_attempt_at <= now,
                    ),
                    and_(d.c.state.in_(_CLAIMED), d.c.lease_until < now),
                )
            )
            .order_by(d.c.next_attempt_at, d.c.notice_id, d.c.channel)
            .limit(limit)
        ).all()
        return [_delivery(r) for r in rows]

    def claim(self, delivery: Delivery, *, holder: str, now: datetime, lease: timedelta) -> bool:
        d = pt.notice_deliveries
        taken = self._conn.execute(
            update(d)
            .where(
                d.c.notice_id == delivery.notice_id,
                d.c.channel == delivery.channel.value,
                d.c.state == delivery.state.value,
                d.c.attempts == delivery.attempts,
            )
            .values(
                state=DeliveryState.SENDING.value,
                holder=holder,
                lease_until=now + lease,
                attempts=d.c.attempts + 1,
            )
        )
        return taken.rowcount == 1

    def hand_over(self, notice_id: str, channel: NoticeChannel, *, holder: str) -> bool:
        d = pt.notice_deliveries
        done = self._conn.execute(
            update(d)
            .where(
                d.c.notice_id == notice_id,
                d.c.channel == channel.value,
                d.c.holder == holder,
                d.c.state == DeliveryState.SENDING.value,
            )
            .values(state=DeliveryState.HANDED_OVER.value)
        )
        return done.rowcount == 1

    def finish(
        self,
        notice_id: str,
        channel: NoticeChannel,
        *,
        holder: str | None,
        state: DeliveryState,
        at: datetime,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> bool:
        d, n = pt.notice_deliveries, t.notifications
        terminal = state in TERMINAL
        held = d.c.holder.is_(None) if holder is None else d.c.holder == holder
        done = self._conn.execute(
            update(d)
            .where(
                d.c.notice_id == notice_id,
                d.c.channel == channel.value,
                d.c.state.in_(_CLAIMED),
                held,
            )
            .values(
                state=state.value,
                holder=None,
                lease_until=None,
                last_error=error[:200] if error else None,
                finished_at=at if terminal else None,
                next_attempt_at=next_attempt_at or at,
            )
        )
        if done.rowcount != 1:
            return False
        if terminal:  # close the notice once no channel has work left
            self._conn.execute(
                update(n)
                .where(
                    n.c.id == notice_id,
                    n.c.sent_at.is_(None),
                    not_(exists().where(d.c.notice_id == notice_id, d.c.state.not_in(_TERMINAL))),
                )
                .values(sent_at=at)
            )
        return True

    def notice(self, notice_id: str) -> Notice | None:
        row = self._conn.execute(
            select(t.notifications).where(t.notifications.c.id == notice_id)
        ).first()
        return _notice(row) if row else None

    def deliveries(self, notice_id: str) -> list[Delivery]:
        d = pt.notice_deliveries
        rows = self._conn.execute(
            select(d).where(d.c.notice_id == notice_id).order_by(d.c.channel)
        ).all()
        return [_delivery(r) for r in rows]

    # The portal ------------------------------------------------------------------------

    def preferences(self, resident_id: str) -> NoticePreferences:
        p = pt.notice_preferences
        row = self._conn.execute(select(p).where(p.c.resident_id == resident_id)).first()
        if row is None:
            return NoticePreferences(resident_id)
        return NoticePreferences(resident_id, row.email, row.phone, bool(row.copy_notices))

    def save_preferences(self, preferences: NoticePreferences, at: datetime) -> None:
        p = pt.notice_preferences
        values = {
            "email": preferences.email,
            "phone": preferences.phone,
            "copy_notices": preferences.copy_notices,
            "updated_at": at,
        }
        changed = self._conn.execute(
            update(p).where(p.c.resident_id == preferences.resident_id).values(**values)
        )
        if changed.rowcount == 0:
            self._conn.execute(insert(p).values(resident_id=preferences.resident_id, **values))

    def inbox(self, resident_id: str, limit: int = 100) -> list[InboxEntry]:
        n, d = t.notifications, pt.notice_deliveries
        rows = self._conn.execute(
            select(n, d.c.finished_at.label("delivered_at"))
            .join(d, d.c.notice_id == n.c.id)
            .where(
                n.c.resident_id == resident_id,
                d.c.channel == NoticeChannel.INBOX.value,
                d.c.state == DeliveryState.DELIVERED.value,
            )
            .order_by(n.c.created_at.desc(), n.c.id)
            .limit(limit)
        ).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        states: dict[str, list[tuple[str, str]]] = {}
        for r in self._conn.execute(
            select(d.c.notice_id, d.c.channel, d.c.state)
            .where(d.c.notice_id.in_(ids))
            .order_by(d.c.channel)
        ).all():
            states.setdefault(r.notice_id, []).append((r.channel, r.state))
        return [InboxEntry(_notice(r), r.delivered_at, tuple(states.get(r.id, ()))) for r in rows]
