"""Check that a service's migrations and its ORM models agree."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from crm_chassis.tables import infra_metadata
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine


async def schema_drift(database_url: str, metadata: MetaData) -> list[Any]:
    """What autogenerate would still write against a migrated database: [] when none."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:

            def compare(sync_conn: Any) -> list[Any]:
                context = MigrationContext.configure(
                    sync_conn,
                    opts={
                        "compare_type": True,
                        "include_object": lambda o, name, type_, *_: (
                            not (type_ == "table" and name == "alembic_version")
                        ),
                    },
                )
                return list(compare_metadata(context, [metadata, infra_metadata]))  # type: ignore[arg-type]

            return await conn.run_sync(compare)
    finally:
        await engine.dispose()
