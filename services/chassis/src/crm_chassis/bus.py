"""The connection to NATS JetStream, and the streams every service relies on.

The connection is made in the background and retried forever: a service starts and takes
writes while NATS is down (the outbox keeps the events), and reports not-ready meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from crm_chassis.batch_publish import BatchPublisher

log = logging.getLogger("crm.bus")

STREAM = "CRM"
STREAM_SUBJECTS = ["crm.>"]
DLQ_STREAM = "CRM_DLQ"
DLQ_PREFIX = "crmdlq"
# JetStream drops a message whose Nats-Msg-Id it saw within this window: the relay's
# re-publication after a crash is absorbed here, and the consumers' inbox covers the rest.
DUPLICATE_WINDOW_SECONDS = 600.0


async def ensure_streams(js: JetStreamContext) -> None:
    """Create the ``CRM`` stream over ``crm.>`` and the dead-letter stream if missing."""
    for config in (
        StreamConfig(
            name=STREAM,
            subjects=STREAM_SUBJECTS,
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            max_age=365 * 24 * 3600.0,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
        ),
        StreamConfig(
            name=DLQ_STREAM,
            subjects=[f"{DLQ_PREFIX}.>"],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            max_age=30 * 24 * 3600.0,
        ),
    ):
        try:
            await js.stream_info(config.name)  # type: ignore[arg-type]
        except NotFoundError:
            await js.add_stream(config)


class Bus:
    """A NATS connection that (re)connects in the background."""

    def __init__(self, url: str, *, name: str = "crm") -> None:
        self.url = url
        self.name = name
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None
        self.publisher: BatchPublisher | None = None
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def start(self) -> None:
        """Begin connecting; returns at once."""
        self._task = asyncio.create_task(self._connect_loop(), name=f"bus-connect-{self.name}")

    async def wait_ready(self, timeout: float | None = None) -> JetStreamContext:  # noqa: ASYNC109
        """The JetStream context, once connected and the streams exist."""
        await asyncio.wait_for(self._ready.wait(), timeout)
        assert self.js is not None
        return self.js

    async def publish_stored(
        self,
        messages: Sequence[tuple[str, bytes, str]],
        timeout: float,  # noqa: ASYNC109 (the whole batch's deadline, acks included)
    ) -> None:
        """Publish ``(subject, body, msg_id)`` messages in order and return once JetStream
        stored every one (see :mod:`crm_chassis.batch_publish`)."""
        await self.wait_ready()
        assert self.publisher is not None
        await self.publisher.publish(messages, timeout)

    async def _connect_loop(self) -> None:
        delay = 0.2
        while True:
            try:
                self.nc = await nats.connect(
                    self.url,
                    name=self.name,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                    allow_reconnect=True,
                    error_cb=self._on_error,
                )
                self.js = self.nc.jetstream(timeout=5)
                self.publisher = BatchPublisher(self.nc)
                await ensure_streams(self.js)
                self._ready.set()
                log.info("connected to NATS at %s", self.url)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("NATS at %s not reachable (%s); retrying", self.url, exc)
                if self.nc is not None:
                    await _quietly_close(self.nc)
                    self.nc = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _on_error(self, exc: Exception) -> None:
        log.debug("NATS client error: %s", exc)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.nc is not None:
            await _quietly_close(self.nc)


async def _quietly_close(nc: Any) -> None:
    try:
        await nc.drain() if nc.is_connected else await nc.close()
    except Exception:  # closing a broken connection may fail; nothing left to do
        log.debug("closing NATS connection failed", exc_info=True)
