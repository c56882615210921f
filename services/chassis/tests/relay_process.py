"""A relay in its own process, for the crash test: ``python relay_process.py DB_URL NATS_URL``."""

import asyncio
import sys

from crm_chassis.bus import Bus
from crm_chassis.db import create_engine, session_factory
from crm_chassis.outbox import OutboxRelay


async def main(database_url: str, nats_url: str) -> None:
    engine = create_engine(database_url)
    bus = Bus(nats_url, name="relay-process")
    await bus.start()
    relay = OutboxRelay(session_factory(engine), bus, batch_size=100)
    while await relay.publish_batch():
        pass


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
