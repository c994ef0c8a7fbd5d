"""Notices that arrive: the subject of a proxy-issued 인감증명서 and a subscriber whose
등·초본 a third party obtained are told in the portal inbox, by email through a real SMTP
server on loopback, and by the shipped SMS simulator; retries back off exponentially;
a worker that dies anywhere mid-send never makes one notice reach one channel twice.

The clock stands still unless a test moves it: every retry is due exactly when the test
says, never after a real pause.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from minwon.adapters import party_tables as pt
from minwon.adapters import tables as t
from minwon.bootstrap import Container, bootstrap
from minwon.clock import FixedClock
from minwon.identity.model import Principal, PrincipalKind
from minwon.issuance.commands import CounterRequester, IssueDocument
from minwon.issuance.model import Ground
from minwon.issuance.services import issue_document
from minwon.notifications import services as notices
from minwon.notifications.delivery import drain, new_holder
from minwon.notifications.model import NoticeChannel
from minwon.registry.model import Resident
from support.faults import WorkerKilled, dying
from support.parties import COUNTER_DAY, COUNTER_NOW, Person, outside_rrn, seal_by_proxy
from support.rrn_leaks import assert_no_full_number
from support.smtp import Mailbox, SmtpServer, refusing_port, smtp_server
from support.world import World

EMAIL = "owner@jeonju.example"
PHONE = "010-2345-6789"


def _city(world: World, port: int, **settings: object) -> Container:
    """The service with its SMTP server on loopback and a clock that stands still."""
    changed = world.container.settings.with_changes(
        smtp_host="127.0.0.1", smtp_port=port, smtp_from="minwon@jeonju.example", **settings
    )
    return bootstrap(changed, clock=FixedClock(COUNTER_NOW))


@pytest.fixture
def mail() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def city(world: World, mail: SmtpServer) -> Iterator[Container]:
    c = _city(world, mail.port)
    try:
        yield c
    finally:
        c.close()


def _as_citizen(resident: Resident) -> Principal:
    return Principal(PrincipalKind.CITIZEN, f"citizen-of-{resident.id}", resident_id=resident.id)


def _wants(city: Container, resident: Resident, **prefs: object) -> None:
    values: dict[str, object] = {"copy_notices": False, "email": None, "phone": None, **prefs}
    notices.save_preferences(city.notifications, principal=_as_citizen(resident), **values)  # type: ignore[arg-type]


def _seal_to_a_proxy(world: World, city: Container, key: str) -> Resident:
    subject = world.adult_with_seal()
    proxy = Person("한대리", outside_rrn(city, COUNTER_DAY.replace(year=1990)))
    issue_document(city.issuance, principal=world.clerk(), cmd=seal_by_proxy(key, subject, proxy))
    return subject


def _delivery(city: Container, channel: NoticeChannel) -> tuple[str, int, str | None]:
    with city.engine.connect() as conn:
        row = conn.execute(
            select(pt.notice_deliveries).where(pt.notice_deliveries.c.channel == channel.value)
        ).one()
    return row.state, row.attempts, row.last_error


def test_a_seal_certificate_issued_to_a_proxy_reaches_every_channel_once(
    world: World, city: Container, mail: SmtpServer
) -> None:
    subject = world.adult_with_seal()
    _wants(city, subject, email=EMAIL, phone=PHONE)
    _seal_to_a_proxy(world, city, "k-notice-001")
    assert world.count(t.notifications) == 1  # queued in the issuing transaction

    report = drain(city.notifications)
    assert report.by_channel == {"inbox": 1, "email": 1, "sms": 1}

    (email,) = mail.mailbox.to(EMAIL)
    body = email.get_content()
    assert "인감증명서" in body and "대리인 한대리님의 신청으로" in body and "주민센터" in body
    assert email["Message-ID"].endswith("@jeonju.example>")
    assert_no_full_number(body, "notice email")
    sms = city.notifications.sms
    assert sms is not None
    (text,) = sms.sent()  # type: ignore[attr-defined]
    assert text["to"] == "01023456789" and "인감증명서" in text["text"]
    (entry,) = notices.inbox(city.notifications, principal=_as_citizen(subject))
    assert dict(entry.channels) == {"email": "delivered", "inbox": "delivered", "sms": "delivered"}
    with city.engine.connect() as conn:
        assert conn.execute(select(t.notifications.c.sent_at)).scalar_one() is not None

    again = drain(city.notifications)  # nothing is due: nobody hears twice
    assert again.idle and len(mail.mailbox.messages) == 1 and len(sms.sent()) == 1  # type: ignore[attr-defined]


def test_a_subscriber_hears_of_copies_third_parties_obtain_and_only_those(
    world: World, city: Container, mail: SmtpServer
) -> None:
    citizen = world.citizen()
    me = world.resident(citizen.resident_id or "")
    creditor = world.stranger_to(me)

    def creditor_copy(key: str) -> None:
        issue_document(
            city.issuance,
            principal=world.clerk(),
            cmd=IssueDocument(
                idempotency_key=key,
                document_type="chobon",
                subject_resident_id=me.id,
                requester=CounterRequester(creditor.name, creditor.rrn, True),
                ground=Ground.CREDITOR,
                purpose="대여금 반환 청구",
            ),
        )

    creditor_copy("k-copy-0001")  # not subscribed yet: no notice
    assert world.count(t.notifications) == 0
    _wants(city, me, copy_notices=True, email=EMAIL)
    issue_document(  # my own copy: no notice
        city.issuance,
        principal=citizen,
        cmd=IssueDocument(idempotency_key="k-copy-0002", document_type="chobon"),
    )
    assert world.count(t.notifications) == 0
    creditor_copy("k-copy-0003")
    assert world.count(t.notifications) == 1
    drain(city.notifications)
    (entry,) = notices.inbox(city.notifications, principal=_as_citizen(me))
    assert entry.notice.kind == "copy:chobon"
    assert "채권·채무 관계" in entry.notice.message and "대여금 반환 청구" in entry.notice.message
    assert creditor.name not in entry.notice.message
    (email,) = mail.mailbox.to(EMAIL)
    assert_no_full_number(email.get_content(), "copy notice")


def test_a_busy_mail_server_is_retried_after_30_then_60_seconds(world: World) -> None:
    with smtp_server(Mailbox(data_replies=["451 4.3.0 busy", "451 4.3.0 busy"])) as mail:
        city = _city(world, mail.port)
        try:
            clock = city.clock
            assert isinstance(clock, FixedClock)
            subject = world.adult_with_seal()
            _wants(city, subject, email=EMAIL)
            _seal_to_a_proxy(world, city, "k-retry-001")

            first = drain(city.notifications)
            assert (first.delivered, first.retried) == (1, 1)  # the inbox; the email waits
            assert _delivery(city, NoticeChannel.EMAIL)[:2] == ("pending", 1)
            clock.advance(timedelta(seconds=29))
            assert drain(city.notifications).idle and mail.mailbox.data_commands == 1
            clock.advance(timedelta(seconds=1))  # 30 s: the second try, refused again
            assert drain(city.notifications).retried == 1 and mail.mailbox.data_commands == 2
            clock.advance(timedelta(seconds=59))
            assert drain(city.notifications).idle
            clock.advance(timedelta(seconds=1))  # 60 s more: the third try is taken
            assert drain(city.notifications).by_channel == {"email": 1}
            assert mail.mailbox.data_commands == 3 and len(mail.mailbox.to(EMAIL)) == 1
            assert _delivery(city, NoticeChannel.EMAIL) == ("delivered", 3, None)
        finally:
            city.close()


def test_a_mailbox_that_does_not_exist_fails_at_once(world: World) -> None:
    with smtp_server(Mailbox(rejected={EMAIL})) as mail:
        city = _city(world, mail.port)
        try:
            subject = world.adult_with_seal()
            _wants(city, subject, email=EMAIL)
            _seal_to_a_proxy(world, city, "k-reject-01")
            report = drain(city.notifications)
            assert report.failed == 1 and report.by_channel == {"inbox": 1}
            state, attempts, error = _delivery(city, NoticeChannel.EMAIL)
            assert (state, attempts) == ("failed", 1) and error and "550" in error
        finally:
            city.close()


def test_a_dead_mail_server_fails_after_the_last_attempt(world: World) -> None:
    with refusing_port() as port:
        city = _city(world, port, notify_max_attempts=3)
        try:
            clock = city.clock
            assert isinstance(clock, FixedClock)
            subject = world.adult_with_seal()
            _wants(city, subject, email=EMAIL)
            _seal_to_a_proxy(world, city, "k-dead-0001")
            for pause in (0, 30, 60):
                clock.advance(timedelta(seconds=pause))
                drain(city.notifications)
            state, attempts, error = _delivery(city, NoticeChannel.EMAIL)
            assert (state, attempts) == ("failed", 3) and error and "connect" in error
            assert _delivery(city, NoticeChannel.INBOX)[0] == "delivered"  # the inbox always
            with city.engine.connect() as conn:  # the notice is closed: nothing left to do
                assert conn.execute(select(t.notifications.c.sent_at)).scalar_one() is not None
        finally:
            city.close()


# Commits of one pass for a notice to the inbox and an email (channels in name order):
# 1 route, 2 claim, 3 email handed over, 4 email delivered, 5 inbox delivered.
CRASHES = [
    # (dies at commit, after it landed?, the email's end state, messages the server has)
    pytest.param(2, True, "delivered", 1, id="after_claiming"),
    pytest.param(3, False, "delivered", 1, id="mid_send_before_the_last_byte"),
    pytest.param(4, False, "unconfirmed", 1, id="after_the_server_took_it"),
    pytest.param(3, True, "unconfirmed", 0, id="between_hand_over_and_last_byte"),
]


@pytest.mark.parametrize(("die_on", "after_commit", "end", "received"), CRASHES)
def test_a_worker_that_dies_mid_send_never_sends_a_notice_twice(
    world: World,
    city: Container,
    mail: SmtpServer,
    die_on: int,
    after_commit: bool,
    end: str,
    received: int,
) -> None:
    clock = city.clock
    assert isinstance(clock, FixedClock)
    subject = world.adult_with_seal()
    _wants(city, subject, email=EMAIL)
    _seal_to_a_proxy(world, city, "k-crash-001")

    dead = dying(city.uows, die_on=die_on, after_commit=after_commit)
    with pytest.raises(WorkerKilled):
        drain(replace(city.notifications, uows=dead), holder=new_holder())

    # Restarted at once: what the dead worker claimed is still its own until the lease ends.
    assert drain(city.notifications).by_channel.get("email") is None
    clock.advance(timedelta(seconds=city.settings.notifications.lease_seconds + 1))
    drain(city.notifications)
    for _ in range(3):  # and however often it runs later
        clock.advance(timedelta(hours=1))
        drain(city.notifications)

    assert _delivery(city, NoticeChannel.EMAIL)[0] == end
    assert len(mail.mailbox.to(EMAIL)) == received  # never two
    assert _delivery(city, NoticeChannel.INBOX)[0] == "delivered"  # the inbox: always, once
    (entry,) = notices.inbox(city.notifications, principal=_as_citizen(subject))
    assert entry.notice.kind == "issued:ingam"


def test_settings_refuse_a_bad_address_and_keep_the_last_good_ones(
    world: World, city: Container
) -> None:
    from minwon.errors import InvalidRequest

    me = world.resident(world.citizen().resident_id or "")
    _wants(city, me, email=EMAIL, phone=PHONE, copy_notices=True)
    bad_values = (
        {"email": "not-an-address"},
        {"phone": "02-123-4567"},
        {"phone": "０１０２３４５６７８９"},
    )
    for bad in bad_values:
        with pytest.raises(InvalidRequest) as err:
            _wants(city, me, **{"email": EMAIL, **bad})
        assert err.value.code in {"notice.email_invalid", "notice.phone_invalid"}
    kept = notices.preferences(city.notifications, principal=_as_citizen(me))
    assert (kept.email, kept.phone, kept.copy_notices) == (EMAIL, "01023456789", True)
