"""Notifications' ports: the outbox and delivery store, and the channels' senders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from minwon.notifications.model import (
    Delivery,
    DeliveryState,
    EmailNotice,
    InboxEntry,
    Notice,
    NoticeChannel,
    NoticePreferences,
    SmsNotice,
)
from minwon.storage import UnitOfWork


class NoticeOutbox(Protocol):
    """What the issuing transaction touches: one insert per notice."""

    def enqueue(self, notice: Notice) -> None:
        """Writes a notice to the outbox (in the caller's transaction)."""
        ...

    def wants_copy_notices(self, resident_id: str) -> bool:
        """Returns True when the resident subscribed to 등·초본 교부 사실 통보."""
        ...


class NoticeStore(NoticeOutbox, Protocol):
    """Notices, their deliveries and residents' preferences."""

    def unrouted(self, limit: int) -> list[tuple[Notice, NoticePreferences]]:
        """Returns notices that have no delivery yet, oldest first, with preferences."""
        ...

    def add_delivery(
        self, notice_id: str, channel: NoticeChannel, address: str | None, now: datetime
    ) -> bool:
        """Adds a pending delivery unless it exists; True if added."""
        ...

    def due(self, now: datetime, limit: int) -> list[Delivery]:
        """Returns deliveries to work on now: pending ones whose time has come and
        claimed ones whose lease ran out (their worker died)."""
        ...

    def claim(self, delivery: Delivery, *, holder: str, now: datetime, lease: timedelta) -> bool:
        """Takes ``delivery`` (as read) for ``holder`` and counts an attempt; False if it
        changed since (someone else took it)."""
        ...

    def hand_over(self, notice_id: str, channel: NoticeChannel, *, holder: str) -> bool:
        """Marks a claimed delivery handed over, only while ``holder`` holds it."""
        ...

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
        """Records an outcome (a terminal state, or pending again with its next time),
        only while ``holder`` holds the delivery (None: whoever holds it, for a dead
        worker's row); then closes the notice once every delivery is terminal."""
        ...

    def notice(self, notice_id: str) -> Notice | None: ...

    def preferences(self, resident_id: str) -> NoticePreferences:
        """Returns a resident's preferences (defaults when none were saved)."""
        ...

    def save_preferences(self, preferences: NoticePreferences, at: datetime) -> None: ...

    def inbox(self, resident_id: str, limit: int = 100) -> list[InboxEntry]:
        """Returns the notices delivered to the resident's portal inbox, newest first."""
        ...

    def deliveries(self, notice_id: str) -> list[Delivery]: ...


class EmailSender(Protocol):
    """Sends one message by SMTP. Calls ``hand_over`` right before the message's last
    byte (after which the server may have it); if that raises, the message is abandoned
    unfinished. Raises DeliveryFailed when the server did not take the message."""

    def send(self, message: EmailNotice, *, hand_over: Callable[[], None]) -> None: ...


class SmsGateway(Protocol):
    """Sends one text message. Delivers at most one message per ``message.key``, however
    often it is called (a retry after a crash sends nothing twice); raises DeliveryFailed."""

    def send(self, message: SmsNotice) -> None: ...


class NotificationUnitOfWork(UnitOfWork, Protocol):
    @property
    def notices(self) -> NoticeStore: ...


class NotificationUnitOfWorks(Protocol):
    def __call__(self, *, readonly: bool = False) -> NotificationUnitOfWork: ...
