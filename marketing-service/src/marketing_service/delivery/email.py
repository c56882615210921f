"""The email channel: SMTP through the chassis mailer, with the end of the message held
back until the send is committed (exactly once per recipient across crashes).

SMTP hands a message over when the server reads the final ``<CRLF>.<CRLF>``; until then
a dropped connection delivers nothing. So the envelope and the whole content go first,
then ``commit`` records the send (in its own transaction), then the final dot. A crash
before the commit leaves the recipient unsent and the server discarding a partial
message, so the send is simply done again; after it, the send is recorded and never
repeated. The one window left is between the commit and writing five bytes to the socket
(a crash there loses that message; none is ever sent twice).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.utils import getaddresses

import aiosmtplib
from aiosmtplib.email import flatten_message
from aiosmtplib.errors import SMTPDataError
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings
from crm_chassis.mail import MailConnection, MailSettings, prepare, rejection

from marketing_service.delivery.channel import Commit, Outgoing

START_INPUT, COMPLETED = 354, 250


class _Aborted(Exception):
    """The commit raised: the message must not be finished (its cause is re-raised)."""


class CommittedConnection(MailConnection):
    """A chassis mail connection whose send calls ``commit`` before the end of data."""

    _client: aiosmtplib.SMTP | None

    async def send_committed(self, outgoing: Outgoing, commit: Commit) -> str:
        message = outgoing.message
        message_id = prepare(message, self.settings.mail_from)
        sender = getaddresses([str(message["From"])])[0][1]
        try:
            client = await self._connected()
            await client.mail(sender)
            await client.rcpt(outgoing.to)
            await _data_then_commit(client, flatten_message(message), commit, self.settings)
        except _Aborted as aborted:
            # Drop the connection mid-message, so the server discards what it has.
            self._drop()
            raise aborted.__cause__ or aborted from None
        except aiosmtplib.SMTPRecipientRefused as exc:
            await self._reset()  # the session goes on: only this recipient was refused
            raise rejection(exc) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self.close()
            raise rejection(exc) from exc
        return message_id

    async def _reset(self) -> None:
        client = self._client
        if client is not None and client.is_connected:
            try:
                await client.rset()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                self._drop()

    def _drop(self) -> None:
        client: aiosmtplib.SMTP | None = self._client
        self._client = None
        if client is not None:
            client.close()


async def _data_then_commit(
    client: aiosmtplib.SMTP, content: bytes, commit: Commit, settings: MailSettings
) -> None:
    """``DATA`` and the content, ``commit``, then the end-of-data mark and its answer.

    aiosmtplib sends all of DATA in one call; this is that call split at the end mark,
    on the client's protocol and under its command lock, as the library does.
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
        if started.code != START_INPUT:
            raise SMTPDataError(started.code, started.message)
        protocol.write(body)
        try:
            await commit()
        except BaseException as exc:
            raise _Aborted() from exc
        protocol._response_pending = True
        protocol.write(b".\r\n")
        done = await protocol.read_response(timeout=timeout)
        if done.code != COMPLETED:
            raise SMTPDataError(done.code, done.message)


class _EmailSession:
    def __init__(self, connection: CommittedConnection) -> None:
        self.connection = connection

    async def send(self, outgoing: Outgoing, commit: Commit) -> str:
        return await self.connection.send_committed(outgoing, commit)


class EmailChannel:
    name = "email"

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    @asynccontextmanager
    async def session(self) -> AsyncIterator[_EmailSession]:
        connection = CommittedConnection(self.settings)
        try:
            yield _EmailSession(connection)
        finally:
            await connection.close()
