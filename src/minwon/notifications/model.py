"""Notices, their deliveries per channel and a resident's preferences. Standard library only.

A notice is written in the issuing transaction (one insert: the outbox). A worker routes it
to channels (one delivery row each), claims deliveries with a lease, sends them outside any
transaction and records the outcome; a failure is retried with exponential backoff.

A delivery's life: pending → sending → (handed_over, email only) → delivered | failed |
unconfirmed. "handed_over" is written just before the message's last byte goes to the
mail server: a worker that dies after it cannot know whether the server took the message,
so the row ends unconfirmed and is never sent twice. A worker that dies before it left the
server an unfinished message, which the server discards, and the next worker sends again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class NoticeChannel(StrEnum):
    INBOX = "inbox"  # the citizen's inbox in the portal: always
    EMAIL = "email"  # when the resident gave an address and the city set SMTP up
    SMS = "sms"  # when the resident gave a mobile number and a gateway is wired


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    HANDED_OVER = "handed_over"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"


TERMINAL = frozenset({DeliveryState.DELIVERED, DeliveryState.FAILED, DeliveryState.UNCONFIRMED})
CHANNEL_LABELS = {
    NoticeChannel.INBOX: "알림함",
    NoticeChannel.EMAIL: "전자우편",
    NoticeChannel.SMS: "문자",
}


class DeliveryFailed(Exception):
    """A channel did not take a message. ``permanent``: retrying will not help (a mailbox
    that does not exist). ``uncertain``: the message may have arrived (the connection broke
    after its last byte), so it must not be sent again."""

    def __init__(self, reason: str, *, permanent: bool = False, uncertain: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:200]
        self.permanent = permanent
        self.uncertain = uncertain


class LeaseLost(Exception):
    """Another worker took this delivery over (our lease ran out): stop before sending."""


@dataclass(frozen=True, slots=True)
class Notice:
    """One notice to a resident, about one issuance."""

    id: str
    resident_id: str
    kind: str  # issued:<type> (인감) | copy:<type> (등·초본 교부 사실 통보)
    issuance_id: str
    created_at: datetime
    message: str


@dataclass(frozen=True, slots=True)
class NoticePreferences:
    """Where a resident wants notices, and whether they subscribed to 교부 사실 통보."""

    resident_id: str
    email: str | None = None
    phone: str | None = None
    copy_notices: bool = False  # 주민등록표 등·초본 교부 사실 통보


@dataclass(frozen=True, slots=True)
class Delivery:
    """One notice on one channel, as the worker sees it."""

    notice_id: str
    channel: NoticeChannel
    state: DeliveryState
    attempts: int
    address: str | None
    next_attempt_at: datetime
    lease_until: datetime | None = None
    holder: str | None = None
    last_error: str | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """A notice in the portal inbox, with how each channel fared."""

    notice: Notice
    delivered_at: datetime
    channels: tuple[tuple[str, str], ...] = ()  # (channel, state)


@dataclass(frozen=True, slots=True)
class EmailNotice:
    to: str
    subject: str
    body: str
    message_id: str  # stable per notice: the same notice is the same message


@dataclass(frozen=True, slots=True)
class SmsNotice:
    key: str  # the gateway delivers at most one message per key
    to: str
    text: str


def backoff(attempts: int, *, base: float, cap: float) -> timedelta:
    """Returns the pause after the ``attempts``-th failed try: base·2^(attempts-1), capped."""
    exponent = max(0, attempts - 1)
    return timedelta(seconds=min(cap, base * (2 ** min(exponent, 30))))
