"""The transactional outbox and its relay.

:func:`emit` writes an event into the ``outbox`` table through the caller's session, so it
commits or rolls back with the state change it describes. :class:`OutboxRelay` publishes
pending rows to JetStream with ``Nats-Msg-Id`` = event id, taking them out of the table in
the transaction that publishes them: the table holds only what is still to publish
(JetStream is the log), so it stays small however many events go through, and a published
copy of personal data is not left behind in it. Rows are claimed with ``FOR UPDATE SKIP
LOCKED``, so any number of replicas can relay at once.

A crash after publishing but before the commit re-publishes those rows on restart;
JetStream drops them as duplicates within its window, and consumers' inbox drops any later
copy.

Many events at once (imports, sends, loads) go through :class:`BulkEvents` and
:func:`copy_events` (``outbox_bulk``): one ``COPY``, the same bytes as :func:`emit`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from uuid import UUID

from crm_proto import CloudEvent
from pydantic import BaseModel
from sqlalchemy import bindparam, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_chassis import context, metrics
from crm_chassis.bus import Bus
from crm_chassis.ids import created_at
from crm_chassis.orm import utcnow
from crm_chassis.outbox_bulk import (
    BulkEvents,
    OutboxRecord,
    copy_events,
    fast_id,
    json_default,
    raw_connection,
    record_of,
)
from crm_chassis.tables import outbox

__all__ = [
    "BulkEvents",
    "EventSource",
    "OutboxRecord",
    "OutboxRelay",
    "copy_events",
    "emit",
    "emit_many",
    "fast_id",
    "json_default",
    "raw_connection",
    "record_of",
]

log = logging.getLogger("crm.outbox")

# Claim and delete a batch in one statement (the same statement whatever the batch size):
# the rows stay locked by the deleting transaction while they are published, and come back
# if it rolls back. RETURNING gives no order, so the batch is sorted by id (time-ordered).
_CLAIMED = (
    select(outbox.c.id)
    .order_by(outbox.c.id)
    .limit(bindparam("n"))
    .with_for_update(skip_locked=True)
)
_TAKE = (
    delete(outbox)
    .where(outbox.c.id.in_(_CLAIMED))
    .returning(outbox.c.id, outbox.c.subject, outbox.c.body)
)
_ROW_COLUMNS = ("id", "tenant_id", "subject", "body")
# The commit of a published batch need not wait for its WAL flush: lost in a crash, the
# rows publish again, and JetStream's duplicate window and the consumers' inbox drop the
# copies. Not waiting for the disk takes a flush off every relay cycle, and so off the
# latency of every event committed while a cycle runs.
_NO_FLUSH_WAIT = text("SET LOCAL synchronous_commit = off")


async def emit(session: AsyncSession, *events: CloudEvent) -> None:
    """Stage ``events`` in the session's transaction; they publish after it commits."""
    await emit_many(session, events)


async def emit_many(session: AsyncSession, events: Iterable[CloudEvent]) -> None:
    rows = [dict(zip(_ROW_COLUMNS, record_of(event), strict=True)) for event in events]
    if rows:
        await session.execute(insert(outbox), rows)


class EventSource:
    """Builds this service's events: ``source`` and trace context filled in once."""

    def __init__(self, service: str) -> None:
        self.source = f"/crm/{service}"

    def event(
        self,
        type: str,
        data: BaseModel,
        *,
        tenant_id: UUID,
        subject: UUID | str | None = None,
        sequence: int | None = None,
    ) -> CloudEvent:
        from crm_proto import new_event

        return new_event(
            type=type,
            source=self.source,
            tenant_id=tenant_id,
            data=data,
            subject=subject,
            sequence=sequence,
            traceparent=context.traceparent.get(),
        )


class OutboxRelay:
    """Publishes committed outbox rows to JetStream, oldest first."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: Bus,
        *,
        batch_size: int = 500,
        idle_interval: float = 0.5,
        publish_timeout: float = 5.0,
    ) -> None:
        self.sessions = sessions
        self.bus = bus
        self.batch_size = batch_size
        self.idle_interval = idle_interval
        self.publish_timeout = publish_timeout
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Tell the relay new rows were committed (saves waiting for the next poll)."""
        self._wake.set()

    async def publish_batch(self) -> int:
        """Claim, publish and delete one batch; the number of rows published."""
        await self.bus.wait_ready()
        async with self.sessions() as session, session.begin():
            rows = sorted((await session.execute(_TAKE, {"n": self.batch_size})).all())
            if not rows:
                metrics.OUTBOX_LAG.set(0)
                return 0
            metrics.OUTBOX_LAG.set((utcnow() - created_at(rows[0].id)).total_seconds())
            await self.bus.publish_stored(
                [(row.subject, row.body, str(row.id)) for row in rows], self.publish_timeout
            )
            await session.execute(_NO_FLUSH_WAIT)
        metrics.OUTBOX_PUBLISHED.inc(len(rows))
        return len(rows)

    async def pending(self) -> int:
        async with self.sessions() as session:
            stmt = select(func.count()).select_from(outbox)
            return int((await session.execute(stmt)).scalar_one())

    async def run(self) -> None:
        """Relay until cancelled; survives NATS and database outages."""
        backoff = 0.2
        while True:
            try:
                self._wake.clear()  # before the claim, so no commit's wake-up is lost
                published = await self.publish_batch()
                backoff = 0.2
                if published < self.batch_size:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.idle_interval)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox relay failed a batch (%s); retrying", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
