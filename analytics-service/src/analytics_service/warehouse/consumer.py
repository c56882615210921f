"""The warehouse's consumer: every event of the stream (``crm.>``), in batches; and the
job that writes the Parquet partitions the batches changed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crm_chassis import jobs
from crm_chassis.consumer import Batched, Consumer
from crm_chassis.jobs import Job, JobHandler
from crm_proto import CloudEvent
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.warehouse.store import Warehouse

NAME = "analytics-warehouse"
PARQUET_JOB = "analytics.warehouse.parquet"
_PARQUET_KEY = "warehouse-parquet"


def warehouse_consumer(warehouse: Warehouse, parquet_every: timedelta) -> Consumer:
    """A chassis consumer that loads each fetched batch into ``warehouse``.

    The chassis' inbox in PostgreSQL still records the ids, but it is not what makes the
    load exactly-once: the DuckDB transaction holds its own handled ids (see
    :mod:`~analytics_service.warehouse.loader`), so a batch whose PostgreSQL commit fails
    after DuckDB committed is skipped in DuckDB when it comes again.

    Each batch also makes sure the Parquet job is due within ``parquet_every`` (one job
    pending at a time, by its key: a steady stream is written once a period, a quiet one
    not at all). The job is in the batch's PostgreSQL transaction; should that commit
    fail after DuckDB's, the partitions stay marked and the next batch's job writes them.
    """

    async def on_any_event(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        await warehouse.load(events)
        await jobs.schedule(
            session,
            kind=PARQUET_JOB,
            due_at=datetime.now(UTC) + parquet_every,
            dedupe_key=_PARQUET_KEY,
        )

    # The load costs per batch (about 15 statements), not per event: large batches.
    return Consumer(NAME, {"crm.>": Batched(on_any_event)}, ack_wait=60.0, batch_size=1000)


def parquet_job(warehouse: Warehouse, folder: Path) -> dict[str, JobHandler]:
    """The job handler that writes the changed partitions under ``folder``."""

    async def write_changed(session: AsyncSession, job: Job) -> None:
        await warehouse.run(warehouse.export_changed_now, folder)

    return {PARQUET_JOB: write_changed}
