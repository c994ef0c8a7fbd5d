"""The delivery worker: routes notices to channels and delivers them, with retries.

Every step's state is in the database, so any number of workers on any instances may run
and a restarted one resumes: a delivery is claimed with a lease (like an idempotency key),
sent outside any transaction, and its outcome recorded only by the worker that still holds
it. A failed try is retried after base·2^(n-1) seconds (capped) until ``max_attempts``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog

from minwon.errors import Unavailable
from minwon.notifications.model import (
    Delivery,
    DeliveryFailed,
    DeliveryState,
    EmailNotice,
    LeaseLost,
    Notice,
    NoticeChannel,
    NoticePreferences,
    SmsNotice,
    backoff,
)

if TYPE_CHECKING:
    from minwon.clock import Clock
    from minwon.notifications.ports import EmailSender, NotificationUnitOfWorks, SmsGateway

log = structlog.get_logger(__name__)
EMAIL_SUBJECT = "[민원] 증명서 발급 알림"
EMAIL_FOOTER = (
    "\n\n이 알림은 민원 포털의 알림함에서도 볼 수 있습니다. 본인이 신청하거나 위임하지 않은 "
    "발급이라면 발급한 기관에 알려 주십시오."
)


@dataclass(frozen=True, slots=True)
class NotificationContext:
    """What the worker needs, wired once in bootstrap.py."""

    uows: NotificationUnitOfWorks
    clock: Clock
    email: EmailSender | None = None  # None: the city set no SMTP server up
    sms: SmsGateway | None = None  # None: no gateway wired
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 120.0
    batch: int = 50
    mail_domain: str = "minwon.local"


@dataclass(slots=True)
class DrainReport:
    """What the worker did (one pass, or a whole drain)."""

    routed: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    unconfirmed: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)

    def add(self, other: DrainReport) -> None:
        self.routed += other.routed
        self.delivered += other.delivered
        self.retried += other.retried
        self.failed += other.failed
        self.unconfirmed += other.unconfirmed
        for channel, count in other.by_channel.items():
            self.by_channel[channel] = self.by_channel.get(channel, 0) + count

    @property
    def idle(self) -> bool:
        counts = (self.routed, self.delivered, self.retried, self.failed, self.unconfirmed)
        return not any(counts)


def routes(
    preferences: NoticePreferences, ctx: NotificationContext
) -> list[tuple[NoticeChannel, str | None]]:
    """Returns the channels a notice goes to: the inbox always, email and SMS when the
    resident gave an address and the channel is wired."""
    chosen: list[tuple[NoticeChannel, str | None]] = [(NoticeChannel.INBOX, None)]
    if preferences.email and ctx.email is not None:
        chosen.append((NoticeChannel.EMAIL, preferences.email))
    if preferences.phone and ctx.sms is not None:
        chosen.append((NoticeChannel.SMS, preferences.phone))
    return chosen


def new_holder() -> str:
    """Returns a worker's identity for its claims (one per process run)."""
    return uuid.uuid4().hex


def _route(ctx: NotificationContext, report: DrainReport) -> None:
    now = ctx.clock.now()
    with ctx.uows() as uow:
        for notice, preferences in uow.notices.unrouted(ctx.batch):
            for channel, address in routes(preferences, ctx):
                uow.notices.add_delivery(notice.id, channel, address, now)
            report.routed += 1
        uow.commit()


def _claim(ctx: NotificationContext, holder: str, report: DrainReport) -> list[Delivery]:
    now = ctx.clock.now()
    lease = timedelta(seconds=ctx.lease_seconds)
    claimed: list[Delivery] = []
    with ctx.uows() as uow:
        for delivery in uow.notices.due(now, ctx.batch):
            if delivery.state is DeliveryState.HANDED_OVER:
                # Its worker died after handing the message over: the server may have it.
                uow.notices.finish(
                    delivery.notice_id,
                    delivery.channel,
                    holder=delivery.holder,
                    state=DeliveryState.UNCONFIRMED,
                    at=now,
                    error="worker stopped after handing the message over; not sent again",
                )
                report.unconfirmed += 1
                continue
            if uow.notices.claim(delivery, holder=holder, now=now, lease=lease):
                claimed.append(delivery)
        uow.commit()
    return claimed


def _hand_over(ctx: NotificationContext, delivery: Delivery, holder: str) -> Callable[[], None]:
    def mark() -> None:
        with ctx.uows() as uow:
            held = uow.notices.hand_over(delivery.notice_id, delivery.channel, holder=holder)
            uow.commit()
        if not held:
            raise LeaseLost(delivery.notice_id)

    return mark


def _send(ctx: NotificationContext, delivery: Delivery, notice: Notice, holder: str) -> None:
    """Sends one delivery; raises DeliveryFailed or LeaseLost."""
    if delivery.channel is NoticeChannel.INBOX:
        return  # recording it delivered is the delivery
    if not delivery.address:
        raise DeliveryFailed("no address", permanent=True)
    if delivery.channel is NoticeChannel.EMAIL:
        if ctx.email is None:
            raise DeliveryFailed("email is not configured", permanent=True)
        ctx.email.send(
            EmailNotice(
                to=delivery.address,
                subject=EMAIL_SUBJECT,
                body=notice.message + EMAIL_FOOTER,
                message_id=f"<{notice.id}.email@{ctx.mail_domain}>",
            ),
            hand_over=_hand_over(ctx, delivery, holder),
        )
        return
    if ctx.sms is None:
        raise DeliveryFailed("no SMS gateway is wired", permanent=True)
    ctx.sms.send(SmsNotice(key=f"{notice.id}:sms", to=delivery.address, text=notice.message))


def _deliver(
    ctx: NotificationContext, delivery: Delivery, holder: str, report: DrainReport
) -> None:
    with ctx.uows(readonly=True) as uow:
        notice = uow.notices.notice(delivery.notice_id)
    attempts = delivery.attempts + 1  # the claim counted this try
    error: DeliveryFailed | None = None
    if notice is None:
        error = DeliveryFailed("notice missing", permanent=True)
    else:
        try:
            _send(ctx, delivery, notice, holder)
        except LeaseLost:
            log.warning("notice.lease_lost", channel=delivery.channel.value)
            return  # the worker that took it over records the outcome
        except DeliveryFailed as exc:
            error = exc
        except Exception as exc:  # an adapter's bug must not leave the row claimed
            error = DeliveryFailed(type(exc).__name__)
    now = ctx.clock.now()
    next_at = None
    if error is None:
        state = DeliveryState.DELIVERED
    elif error.uncertain:
        state = DeliveryState.UNCONFIRMED
    elif error.permanent or attempts >= ctx.max_attempts:
        state = DeliveryState.FAILED
    else:
        state = DeliveryState.PENDING
        next_at = now + backoff(attempts, base=ctx.backoff_seconds, cap=ctx.backoff_max_seconds)
    with ctx.uows() as uow:
        recorded = uow.notices.finish(
            delivery.notice_id,
            delivery.channel,
            holder=holder,
            state=state,
            at=now,
            error=error.reason if error else None,
            next_attempt_at=next_at,
        )
        uow.commit()
    if not recorded:
        return
    counts = {
        DeliveryState.DELIVERED: "delivered",
        DeliveryState.PENDING: "retried",
        DeliveryState.FAILED: "failed",
        DeliveryState.UNCONFIRMED: "unconfirmed",
    }
    name = counts[state]
    setattr(report, name, getattr(report, name) + 1)
    if state is DeliveryState.DELIVERED:
        key = delivery.channel.value
        report.by_channel[key] = report.by_channel.get(key, 0) + 1
    log.info("notice.delivery", channel=delivery.channel.value, state=state.value, attempt=attempts)


def drain_once(ctx: NotificationContext, *, holder: str) -> DrainReport:
    """One pass: routes new notices, claims what is due and delivers it."""
    report = DrainReport()
    _route(ctx, report)
    for delivery in _claim(ctx, holder, report):
        _deliver(ctx, delivery, holder, report)
    return report


def drain(ctx: NotificationContext, *, holder: str | None = None) -> DrainReport:
    """Works until nothing is due now (``minwon notify drain``: cron and tests)."""
    holder = holder or new_holder()
    total = DrainReport()
    while True:
        report = drain_once(ctx, holder=holder)
        total.add(report)
        if report.idle:
            return total


def run(ctx: NotificationContext, *, stop: threading.Event, poll_seconds: float) -> DrainReport:
    """Works until ``stop`` is set (``minwon notify run``; SIGTERM sets it), pausing
    ``poll_seconds`` whenever nothing is due. A lost database is waited out."""
    holder = new_holder()
    total = DrainReport()
    while not stop.is_set():
        try:
            report = drain_once(ctx, holder=holder)
        except Unavailable as exc:
            log.warning("notice.database_unavailable", error=exc.code)
            stop.wait(poll_seconds)
            continue
        total.add(report)
        if report.idle:
            stop.wait(poll_seconds)
    return total
