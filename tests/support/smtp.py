"""A real SMTP server on loopback for tests (aiosmtpd), and a port that refuses.

The server listens on a socket the test binds itself first (port 0: the kernel picks a
free one), so no other process can take the port between choosing and listening. It is
stopped when the ``with`` block ends, whatever happened inside it.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    """What the server received, and how it answers: ``data_replies`` are given to the
    next DATA commands in turn (a 4xx or 5xx refuses that message); a recipient in
    ``rejected`` gets 550 at RCPT."""

    data_replies: list[str] = field(default_factory=list)
    rejected: set[str] = field(default_factory=set)
    messages: list[EmailMessage] = field(default_factory=list)
    data_commands: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.rejected:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_commands += 1
        if self.data_replies:
            reply = self.data_replies.pop(0)
            if not reply.startswith("250"):
                return reply
        message = message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 2.0.0 accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class _OnBoundSocket(Controller):
    """An aiosmtpd controller serving on a socket bound before it starts."""

    def __init__(self, handler: Mailbox) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        super().__init__(handler, hostname="127.0.0.1", port=self._sock.getsockname()[1])

    def _create_server(self) -> Awaitable[Any]:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox


@contextmanager
def smtp_server(mailbox: Mailbox | None = None) -> Iterator[SmtpServer]:
    """Runs a real SMTP server on 127.0.0.1 for the block; always stops it."""
    box = mailbox or Mailbox()
    controller = _OnBoundSocket(box)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, box)
    finally:
        controller.stop()


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port bound but not listening: every connection is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()
