"""A real SMTP server for the mail tests: aiosmtpd on a loopback port, in a thread of the
test process, keeping every message it is given."""

from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.system import free_port


class Inbox:
    """The handler aiosmtpd calls per message; what arrived, oldest first."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the name aiosmtpd calls
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    """The server's port and its inbox, until the block ends."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()
