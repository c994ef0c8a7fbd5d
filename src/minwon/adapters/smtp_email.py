"""Email notices over SMTP (implements notifications.ports.EmailSender), standard library.

The conversation is driven step by step so the worker can mark the message "handed over"
right before its final ``.``: until then the server holds an unfinished message that it
discards if the connection drops, so a worker that dies earlier may safely send again.
A reply of 4xx is worth a retry, 5xx is not; a connection lost after the final dot leaves
the outcome unknown, and the message is not sent again.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from minwon.notifications.model import DeliveryFailed, EmailNotice

_LEADING_DOT = re.compile(rb"(?m)^\.")


def _failure(stage: str, code: int, reply: bytes) -> DeliveryFailed:
    text = reply.decode("utf-8", "replace")[:120]
    return DeliveryFailed(f"{stage}: {code} {text}", permanent=500 <= code < 600)


class SmtpEmailSender:
    """Sends through one SMTP server (MINWON_SMTP_HOST, _PORT, _FROM)."""

    def __init__(self, host: str, port: int, sender: str, *, timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout

    def _message(self, notice: EmailNotice) -> bytes:
        message = EmailMessage(policy=SMTP)
        message["From"] = self.sender
        message["To"] = notice.to
        message["Subject"] = notice.subject
        message["Message-ID"] = notice.message_id
        message["Date"] = formatdate(localtime=False)
        message.set_content(notice.body, charset="utf-8")
        data = message.as_bytes()
        return _LEADING_DOT.sub(b"..", data if data.endswith(b"\r\n") else data + b"\r\n")

    def send(self, message: EmailNotice, *, hand_over: Callable[[], None]) -> None:
        data = self._message(message)
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"connect: {type(exc).__name__}") from exc
        finished = False
        try:
            try:
                smtp.ehlo_or_helo_if_needed()
                code, reply = smtp.mail(self.sender)
                if code != 250:
                    raise _failure("MAIL", code, reply)
                code, reply = smtp.rcpt(message.to)
                if code not in (250, 251):
                    raise _failure("RCPT", code, reply)
                code, reply = smtp.docmd("DATA")
                if code != 354:
                    raise _failure("DATA", code, reply)
                smtp.send(data)
            except (OSError, smtplib.SMTPException) as exc:
                raise DeliveryFailed(f"before hand-over: {type(exc).__name__}") from exc
            hand_over()  # raises if our claim is gone: the message is left unfinished
            try:
                smtp.send(b".\r\n")
                code, reply = smtp.getreply()
            except (OSError, smtplib.SMTPException) as exc:
                raise DeliveryFailed(
                    f"after hand-over: {type(exc).__name__}", uncertain=True
                ) from exc
            if code != 250:
                raise _failure("end of data", code, reply)
            finished = True
        finally:
            try:
                if finished:
                    smtp.quit()
                else:
                    smtp.close()  # drop the line: the server discards an unfinished message
            except (OSError, smtplib.SMTPException):
                smtp.close()
