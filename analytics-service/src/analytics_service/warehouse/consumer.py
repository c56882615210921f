"""The warehouse's consumer: every event of the stream (``crm.>``), in batches."""

from __future__ import annotations

from collections.abc import Sequence

from crm_chassis.consumer import Batched, Consumer
from crm_proto import CloudEvent
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.warehouse.store import Warehouse

NAME = "analytics-warehouse"


def warehouse_consumer(warehouse: Warehouse) -> Consumer:
    """A chassis consumer that loads each fetched batch into ``warehouse``.

    The chassis' inbox in PostgreSQL still records the ids, but it is not what makes the
    load exactly-once: the DuckDB transaction holds its own handled ids (see
    :mod:`~analytics_service.warehouse.loader`), so a batch whose PostgreSQL commit fails
    after DuckDB committed is skipped in DuckDB when it comes again.
    """

    async def on_any_event(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        await warehouse.load(events)

    # The load costs per batch (about 15 statements), not per event: large batches.
    return Consumer(NAME, {"crm.>": Batched(on_any_event)}, ack_wait=60.0, batch_size=1000)
