"""A host that answers nothing is told from one whose programs died or hung."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from minwon.operations.incidents.model import Cause
from minwon.operations.incidents.reach import answers, reach_reading


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    try:
        yield server
    finally:
        server.close()


def test_a_listening_port_answers(listener: socket.socket) -> None:
    assert answers("127.0.0.1", listener.getsockname()[1])


def test_a_refused_connection_is_an_answer_the_host_is_there() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: the kernel refuses
    assert answers("127.0.0.1", port)


def test_a_connection_nobody_answers_is_silence(listener: socket.socket) -> None:
    """A full accept queue drops further SYNs unanswered, as a cut cable does."""
    port = listener.getsockname()[1]
    queued = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        queued.append(c)
    time.sleep(0.2)
    try:
        began = time.monotonic()
        assert not answers("127.0.0.1", port, timeout=0.3)
        assert time.monotonic() - began >= 0.25
    finally:
        for c in queued:
            c.close()


def test_each_silent_member_is_a_host_unreachable_condition() -> None:
    reading = reach_reading(5.0, {"pg2": "10.232.0.12 answers nothing"})
    (condition,) = reading.conditions
    assert (condition.component, condition.cause) == ("postgres:pg2", Cause.HOST_UNREACHABLE)
    assert reading.at == 5.0 and reach_reading(6.0, {}).conditions == ()
