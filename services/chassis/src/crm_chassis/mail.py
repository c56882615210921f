"""Outgoing email over SMTP (aiosmtplib): the one sender every service uses.

A service's settings inherit :class:`MailSettings`. The relay is the platform's
(``CRM_SMTP_HOST``, ``CRM_SMTP_PORT`` ...: ``make run`` points them at its local sink);
the sender address is the service's own (``CRM_<SERVICE>_MAIL_FROM``).

:meth:`Mailer.send` delivers one message and says how it failed: :class:`MailRejected`
with ``permanent`` true for a 5xx answer (a bounce: do not retry), false for a 4xx answer,
a timeout or a connection that failed (retry later). For many messages,
``async with mailer.connection() as smtp`` keeps one SMTP session open and reconnects
when the server drops it.

``smtp.send(message, before_end_of_data=commit)`` holds the message's end back: the
envelope and the whole content go first, then ``commit`` runs, then the final
``<CRLF>.<CRLF>`` that hands the message over. If ``commit`` raises, the connection is
dropped mid-message (the server discards it) and the exception propagates: a send that is
recorded exactly when it is delivered, for senders that must not send twice across
crashes (marketing's campaigns, ADR 0008).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from typing import Literal

import aiosmtplib
from aiosmtplib.email import flatten_message
from aiosmtplib.errors import SMTPDataError
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings

log = logging.getLogger(__name__)

LOCAL_SMTP_PORT = 54025
"""Where ``make run``'s mail sink listens (not 25 or 1025: never collide)."""


def _shared(name: str) -> AliasChoices:
    return AliasChoices(f"CRM_{name.upper()}", name)


class MailSettings(BaseSettings):
    """The settings fields of outgoing mail; a service's settings class inherits them."""

    smtp_host: str = Field("127.0.0.1", validation_alias=_shared("smtp_host"))
    smtp_port: int = Field(LOCAL_SMTP_PORT, validation_alias=_shared("smtp_port"))
    smtp_username: str | None = Field(None, validation_alias=_shared("smtp_username"))
    smtp_password: SecretStr | None = Field(None, validation_alias=_shared("smtp_password"))
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        "none", validation_alias=_shared("smtp_security")
    )
    """``tls`` for implicit TLS (port 465), ``starttls`` to upgrade (port 587)."""
    smtp_timeout: float = Field(10.0, validation_alias=_shared("smtp_timeout"))
    mail_from: str = "CRM <noreply@crm.localhost>"
    """The sender of this service's mail (``CRM_<SERVICE>_MAIL_FROM``)."""


class MailRejected(Exception):
    """The relay did not take a message. ``permanent``: a 5xx answer, never retry."""

    def __init__(self, message: str, *, permanent: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code


def rejection(exc: Exception) -> MailRejected:
    """What an SMTP failure means for the message: a 5xx answer is a bounce, anything else
    (a 4xx, a timeout, a connection lost) is worth another try later."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        return MailRejected(
            "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients),
            permanent=all(c >= 500 for c in codes),
            code=min(codes, default=None),
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        permanent = 500 <= exc.code < 600
        return MailRejected(f"{exc.code} {exc.message}", permanent=permanent, code=exc.code)
    return MailRejected(f"relay unreachable: {exc}", permanent=False)


def prepare(message: EmailMessage, sender: str) -> str:
    """Fill ``From``, ``Date`` and ``Message-ID`` where missing; return the Message-ID."""
    if "From" not in message:
        message["From"] = sender
    if "Date" not in message:
        message["Date"] = formatdate(usegmt=True)
    if "Message-ID" not in message:
        domain = parseaddr(str(message["From"]))[1].rpartition("@")[2] or "crm.localhost"
        message["Message-ID"] = make_msgid(domain=domain)
    return str(message["Message-ID"])


class Mailer:
    """Sends mail through the configured relay."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> str:
        """Deliver ``message`` in a session of its own; return its Message-ID."""
        async with self.connection() as smtp:
            return await smtp.send(message)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[MailConnection]:
        """One SMTP session for many messages."""
        conn = MailConnection(self.settings)
        try:
            yield conn
        finally:
            await conn.close()


class MailConnection:
    """An SMTP session opened on first use and again after the server dropped it."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._client: aiosmtplib.SMTP | None = None

    async def send(
        self,
        message: EmailMessage,
        *,
        to: str | None = None,
        before_end_of_data: Callable[[], Awaitable[None]] | None = None,
    ) -> str:
        """Send ``message`` (to ``to``, else its headers' recipients); its Message-ID.

        With ``before_end_of_data``, that is awaited after the content and before the
        final dot (see the module docstring)."""
        message_id = prepare(message, self.settings.mail_from)
        if before_end_of_data is not None:
            await self._send_held(message, to or _recipient(message), before_end_of_data)
            return message_id
        try:
            client = await self._connected()
            refused, _ = await client.send_message(message, recipients=to)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise rejection(exc) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self.close()
            raise rejection(exc) from exc
        for recipient, response in refused.items():
            log.warning("relay refused %s for %s: %s", recipient, message_id, response)
        return message_id

    async def _send_held(
        self, message: EmailMessage, to: str, before_end: Callable[[], Awaitable[None]]
    ) -> None:
        sender = getaddresses([str(message["From"])])[0][1]
        try:
            client = await self._connected()
            await client.mail(sender)
            await client.rcpt(to)
            await _data_held(client, flatten_message(message), before_end, self.settings)
        except _Aborted as aborted:
            self._drop()  # mid-message: the server discards what it has
            raise aborted.__cause__ or aborted from None
        except aiosmtplib.SMTPRecipientRefused as exc:
            await self._reset()  # the session goes on: only this recipient was refused
            raise rejection(exc) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self.close()
            raise rejection(exc) from exc

    async def _reset(self) -> None:
        client = self._client
        if client is not None and client.is_connected:
            try:
                await client.rset()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                self._drop()

    def _drop(self) -> None:
        client = self._client
        self._client = None
        if client is not None:
            client.close()

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",
            timeout=s.smtp_timeout,
        )
        await client.connect()
        self._client = client
        return client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()


_START_INPUT, _COMPLETED = 354, 250


class _Aborted(Exception):
    """``before_end_of_data`` raised: the message must not be finished (its cause is
    re-raised)."""


def _recipient(message: EmailMessage) -> str:
    return getaddresses([str(message["To"])])[0][1]


async def _data_held(
    client: aiosmtplib.SMTP,
    content: bytes,
    before_end: Callable[[], Awaitable[None]],
    settings: MailSettings,
) -> None:
    """``DATA`` and the content, ``before_end``, then the end-of-data mark and its answer.

    aiosmtplib sends all of DATA in one call; this is that call split at the end mark, on
    the client's protocol and under its command lock, as the library does.
    """
    protocol = client.protocol
    if protocol is None or protocol._command_lock is None:
        raise aiosmtplib.SMTPServerDisconnected("not connected")
    body = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(content))
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    timeout = settings.smtp_timeout
    async with protocol._command_lock:
        protocol._response_pending = True
        protocol.write(b"DATA\r\n")
        started = await protocol.read_response(timeout=timeout)
        if started.code != _START_INPUT:
            raise SMTPDataError(started.code, started.message)
        protocol.write(body)
        try:
            await before_end()
        except BaseException as exc:
            raise _Aborted() from exc
        protocol._response_pending = True
        protocol.write(b".\r\n")
        done = await protocol.read_response(timeout=timeout)
        if done.code != _COMPLETED:
            raise SMTPDataError(done.code, done.message)
