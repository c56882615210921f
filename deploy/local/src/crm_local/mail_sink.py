"""A local SMTP server that keeps every message: ``make run``'s outgoing mail, and tests'.

It is a real SMTP server (aiosmtpd), in a thread of the process that starts it. Each
message is kept in memory (parsed) and, when a folder is given, written there as
``<n>-<recipient>.eml`` so a developer can open what the platform sent. ``reject()`` makes
one recipient bounce with the code given, to exercise bounce handling for real.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from crm_local.ports import LOCALHOST, free_port


@dataclass(frozen=True)
class Received:
    """One delivered message: its envelope and the parsed message."""

    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        code = self.sink.rejected.get(address.lower())
        if code is not None:
            return f"{code} {'5.1.1' if code >= 500 else '4.2.0'} <{address}>: recipient refused"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = cast(bytes, envelope.original_content or envelope.content)
        parsed = cast(EmailMessage, message_from_bytes(raw, policy=policy.default))
        self.sink.keep(Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), parsed), raw)
        return "250 Message accepted"


class MailSink:
    """An SMTP server on ``host:port`` keeping what it receives."""

    def __init__(self, folder: Path | None = None, port: int = 0, host: str = LOCALHOST) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.folder = folder
        self.received: list[Received] = []
        self.rejected: dict[str, int] = {}
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received so far, in order."""
        with self._lock:
            return [r.message for r in self.received]

    def start(self) -> MailSink:
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def reject(self, address: str, code: int = 550) -> None:
        """Answer ``code`` to ``RCPT TO:<address>`` from now on (5xx bounce, 4xx defer)."""
        self.rejected[address.lower()] = code

    def clear(self) -> None:
        """Forget what was received and every rejection."""
        with self._lock:
            self.received.clear()
        self.rejected.clear()

    def keep(self, received: Received, raw: bytes) -> None:
        with self._lock:
            self.received.append(received)
            number = len(self.received)
        if self.folder is not None:
            to = re.sub(
                r"[^A-Za-z0-9@._-]", "_", received.recipients[0] if received.recipients else ""
            )
            (self.folder / f"{number:06d}-{to}.eml").write_bytes(raw)

    async def wait_for(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 (a plain deadline for tests)
    ) -> list[EmailMessage]:
        """The messages, once at least ``count`` have arrived; ``TimeoutError`` if not."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.received)} of {count} messages arrived")
            await asyncio.sleep(0.02)
        return self.messages
