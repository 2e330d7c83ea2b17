"""A real SMTP server for the tests (aiosmtpd on a free loopback port), keeping what it receives.

    with SmtpServer.running() as smtp:
        ...  # send through host "127.0.0.1", port smtp.port
        message = smtp.wait_for(1)[0]  # an email.message.EmailMessage

The ``mailbox`` fixture in ``conftest.py`` points Django's SMTP backend at one for a test.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.services import free_port


class _Collect:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.arrived:
            self.messages.append(message)
            self.envelopes.append((str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos]))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self._handler = _Collect()
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)

    @classmethod
    @contextlib.contextmanager
    def running(cls) -> Iterator[SmtpServer]:
        server = cls()
        server._controller.start()
        try:
            yield server
        finally:
            server._controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        with self._handler.arrived:
            return list(self._handler.messages)

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        with self._handler.arrived:
            return list(self._handler.envelopes)

    def wait_for(self, count: int, timeout_s: float = 20.0) -> list[EmailMessage]:
        """At least ``count`` messages, waiting for them to arrive; fails the test after the timeout."""
        deadline = time.monotonic() + timeout_s
        with self._handler.arrived:
            while len(self._handler.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} messages, got {len(self._handler.messages)}")
                self._handler.arrived.wait(left)
            return list(self._handler.messages)

    def django_settings(self) -> dict[str, Any]:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
        }


def text_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def html_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else ""
