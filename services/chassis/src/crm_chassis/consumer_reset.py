"""Reset of a durable consumer, so that it replays the stream from the start.

The projection a consumer feeds is rebuilt this way: its owner passes a ``truncate``
callback that empties the projection's tables in the same transaction as the inbox rows
are forgotten.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

from nats.js.errors import NotFoundError
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_chassis.bus import STREAM, Bus
from crm_chassis.tables import inbox

Truncate = Callable[[AsyncSession], Awaitable[None]]


async def reset(
    bus: Bus,
    sessions: async_sessionmaker[AsyncSession],
    consumer_name: str,
    *,
    truncate: Truncate | None = None,
) -> None:
    """Make ``consumer_name`` replay the stream from the start on its next subscription.

    First, in one transaction, its inbox rows are deleted and ``truncate(session)`` empties
    the projection it feeds; then the durable consumer is deleted, and the runner's next
    subscription creates it again at the stream's first event. In this order a runner
    that is still running cannot leave a gap: whatever it commits after the truncation
    commits its effect together with its inbox row, so the replay skips exactly what is
    still applied. Stopping the runners first is still the plain way; a running runner
    resubscribes by itself once its consumer is gone.
    """
    async with sessions() as session, session.begin():
        await session.execute(delete(inbox).where(inbox.c.consumer == consumer_name))
        if truncate is not None:
            await truncate(session)
    js = await bus.wait_ready()
    with contextlib.suppress(NotFoundError):
        await js.delete_consumer(STREAM, consumer_name)
