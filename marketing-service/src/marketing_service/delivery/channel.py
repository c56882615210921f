"""The channel interface campaigns and journeys send through (email now; SMS and others
as further implementations).

A channel sends one :class:`Outgoing` in a session (``async with channel.session()``) and
calls ``commit`` at the one moment that decides whether the message goes: after it can no
longer fail for a reason that leaves the recipient without it, before the recipient can
have it. A channel that cannot split its send that way calls ``commit`` right before
sending (at most once). ``commit`` raising aborts the send: nothing is delivered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

Commit = Callable[[], Awaitable[None]]


@dataclass
class Outgoing:
    """A message for one recipient, rendered."""

    to: str
    message: EmailMessage
    headers: dict[str, str] = field(default_factory=dict)


class ChannelSession(Protocol):
    async def send(self, outgoing: Outgoing, commit: Commit) -> str:
        """Deliver ``outgoing``; its provider message id. Raises ``MailRejected`` (or the
        channel's equivalent) when the provider refuses it."""
        ...


class Channel(Protocol):
    name: str

    def session(self) -> AbstractAsyncContextManager[ChannelSession]: ...
