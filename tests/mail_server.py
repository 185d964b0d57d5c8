"""A loopback SMTP server (aiosmtpd) that keeps every message it receives, for the mail tests.

Import `smtp_server` into a test module and build that module's own `inbox` fixture on it
(each module points the app's SMTP settings at it with the other settings it needs).
"""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self) -> list[str]:
        return [m["To"] for m in self.messages]

    def by_recipient(self) -> dict[str, email.message.EmailMessage]:
        return {m["To"]: m for m in self.messages}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()
