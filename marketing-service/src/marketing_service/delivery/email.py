"""The email channel: SMTP through the chassis mailer, with the end of the message held
back until the send is committed (exactly once per recipient across crashes).

SMTP hands a message over when the server reads the final ``<CRLF>.<CRLF>``; until then
a dropped connection delivers nothing. So the envelope and the whole content go first,
then ``commit`` decides and commits the send, then the final dot (the
chassis connection's ``before_end_of_data``). A crash
before the commit leaves the recipient unsent and the server discarding a partial
message, so the send is simply done again; after it, the send is recorded and never
repeated. The one window left is between the commit and writing five bytes to the socket
(a crash there loses that message; none is ever sent twice).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from crm_chassis.mail import MailConnection, MailSettings

from marketing_service.delivery.channel import Commit, Outgoing


class _EmailSession:
    def __init__(self, connection: MailConnection) -> None:
        self.connection = connection

    async def send(self, outgoing: Outgoing, commit: Commit) -> str:
        return await self.connection.send(
            outgoing.message, to=outgoing.to, before_end_of_data=commit
        )


class EmailChannel:
    name = "email"

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    @asynccontextmanager
    async def session(self) -> AsyncIterator[_EmailSession]:
        connection = MailConnection(self.settings)
        try:
            yield _EmailSession(connection)
        finally:
            await connection.close()
