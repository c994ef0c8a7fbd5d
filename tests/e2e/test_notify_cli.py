"""``minwon notify run`` and ``minwon notify drain`` as an operator runs them: the worker
delivers what is queued, keeps going, and stops cleanly on SIGTERM; the one-shot drain
says what it did."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from minwon.identity.model import Principal, PrincipalKind
from minwon.issuance.services import issue_document
from minwon.notifications import services as notices
from support.parties import Person, outside_rrn, seal_by_proxy
from support.smtp import refusing_port, smtp_server
from support.world import World

pytestmark = pytest.mark.slow
MINWON = str(Path(sys.executable).parent / "minwon")
EMAIL = "owner@jeonju.example"
DEADLINE = 60.0  # seconds a condition may take before the test gives up (it never waits idle)


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the worker is a second process on the same database file


def _env(world: World, smtp_port: int) -> dict[str, str]:
    s = world.container.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINWON_")}
    env.update(
        MINWON_DATA_DIR=str(s.data_dir),
        MINWON_KEYS_DIR=str(s.keys_dir),
        MINWON_DATABASE_URL=s.database.url,
        MINWON_SMTP_HOST="127.0.0.1",
        MINWON_SMTP_PORT=str(smtp_port),
        MINWON_SMTP_FROM="minwon@jeonju.example",
        COLUMNS="200",
    )
    return env


def _queue_a_seal_notice(world: World, key: str) -> None:
    subject = world.adult_with_seal()
    citizen = Principal(PrincipalKind.CITIZEN, "owner", resident_id=subject.id)
    notices.save_preferences(
        world.container.notifications,
        principal=citizen,
        copy_notices=False,
        email=EMAIL,
        phone=None,
    )
    written = world.clock.now().date()
    proxy = Person("한대리", outside_rrn(world.container, written.replace(year=1990)))
    issue_document(
        world.container.issuance,
        principal=world.clerk(),
        cmd=seal_by_proxy(key, subject, proxy, written_on=written),
    )


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"not within {DEADLINE} s: {what}"
        time.sleep(0.05)


def test_the_worker_delivers_keeps_going_and_stops_on_sigterm(world: World) -> None:
    with smtp_server() as mail:
        _queue_a_seal_notice(world, "k-run-00001")
        worker = subprocess.Popen(
            [MINWON, "notify", "run", "--poll", "0.1"],
            env=_env(world, mail.port),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _until(lambda: len(mail.mailbox.to(EMAIL)) == 1, "the first notice")
            _queue_a_seal_notice(world, "k-run-00002")  # queued while it runs
            _until(lambda: len(mail.mailbox.to(EMAIL)) == 2, "the second notice")
            worker.send_signal(signal.SIGTERM)
            out, err = worker.communicate(timeout=DEADLINE)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
        assert worker.returncode == 0, out + err
        assert "알림 전달 작업자를 멈췄습니다" in out and "전달 4건" in out, out
        assert len(mail.mailbox.messages) == 2


def test_drain_reports_what_it_did_and_what_waits(world: World) -> None:
    with refusing_port() as port:
        _queue_a_seal_notice(world, "k-drain-0001")
        done = subprocess.run(
            [MINWON, "notify", "drain"],
            env=_env(world, port),
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            check=False,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "전달 1건 (inbox 1)" in done.stdout and "재시도 예약 1건" in done.stdout, done.stdout
