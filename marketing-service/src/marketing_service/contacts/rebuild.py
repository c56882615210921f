"""Rebuilding the contacts projection from the stream (an operator's action, all tenants).

    python -m marketing_service.contacts.rebuild

The ``marketing-contacts`` consumer is reset (chassis :func:`crm_chassis.consumer.reset`):
its inbox rows are forgotten and the projection's tables emptied in one transaction, then
the durable consumer is deleted, and the running service's runner replays the stream from
its first event. Scores are recomputed and segments re-evaluated as the contacts return.
"""

from __future__ import annotations

import asyncio

from crm_chassis.bus import Bus
from crm_chassis.consumer_reset import reset
from crm_chassis.db import engine_for, session_factory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketing_service.consumers import CONTACTS
from marketing_service.settings import MarketingSettings


async def _truncate(session: AsyncSession) -> None:
    await session.execute(text("TRUNCATE TABLE contacts, list_members"))


async def rebuild(bus: Bus, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Empty the projection and make its consumer replay the stream."""
    await reset(bus, sessions, CONTACTS.name, truncate=_truncate)


async def main() -> None:
    settings = MarketingSettings()
    engine = engine_for(settings)
    bus = Bus(settings.nats_url, name="marketing-rebuild")
    await bus.start()
    try:
        await rebuild(bus, session_factory(engine))
    finally:
        await bus.close()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
