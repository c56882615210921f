"""Publish many messages to JetStream and wait until every one is stored.

``JetStreamContext.publish_async`` keeps a future, a random reply token, a semaphore slot
and a parsed ``PubAck`` per message; for the relay, which publishes thousands of events a
second and only needs to know that the whole batch is stored, that bookkeeping cost more
than the publishing. Here a batch shares one reply subject and one future: each ack
counts down, any error fails the batch, and the relay then publishes it again (the
``Nats-Msg-Id`` header makes JetStream drop what it already stored).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import count

from nats.aio.client import Client
from nats.aio.msg import Msg

_NO_RESPONDERS = "503"


class PublishFailed(Exception):
    """JetStream refused a message of the batch, or no stream listens on its subject."""


@dataclass
class _Batch:
    remaining: int
    done: asyncio.Future[None] = field(default_factory=asyncio.Future)

    def ack(self, msg: Msg) -> None:
        if self.done.done():
            return
        if msg.headers and msg.headers.get("Status") == _NO_RESPONDERS:
            self.done.set_exception(PublishFailed(f"no stream stores {msg.subject}"))
        elif b'"error"' in msg.data:
            self.done.set_exception(PublishFailed(msg.data.decode(errors="replace")))
        else:
            self.remaining -= 1
            if self.remaining == 0:
                self.done.set_result(None)


class BatchPublisher:
    """Publishes batches of ``(subject, body, msg_id)`` on one connection."""

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self._prefix = ""
        self._batches: dict[str, _Batch] = {}
        self._ids = count()

    async def _reply_prefix(self) -> str:
        if not self._prefix:
            prefix = self.nc.new_inbox()
            await self.nc.subscribe(f"{prefix}.*", cb=self._on_ack)
            self._prefix = prefix
        return self._prefix

    async def _on_ack(self, msg: Msg) -> None:
        batch = self._batches.get(msg.subject.rpartition(".")[2])
        if batch is not None:
            batch.ack(msg)

    async def publish(
        self,
        messages: Sequence[tuple[str, bytes, str]],
        timeout: float,  # noqa: ASYNC109 (the whole batch's deadline, acks included)
    ) -> None:
        """Publish ``messages`` in order; return once JetStream stored them all.

        Raises :class:`PublishFailed` on a refused message and ``TimeoutError`` when the
        acks do not all arrive within ``timeout`` seconds.
        """
        if not messages:
            return
        token = str(next(self._ids))
        reply = f"{await self._reply_prefix()}.{token}"
        batch = self._batches[token] = _Batch(len(messages))
        try:
            for subject, body, msg_id in messages:
                await self.nc.publish(subject, body, reply=reply, headers={"Nats-Msg-Id": msg_id})
            await asyncio.wait_for(asyncio.shield(batch.done), timeout)
        finally:
            del self._batches[token]
