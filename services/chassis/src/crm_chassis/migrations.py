"""The body of every service's Alembic ``env.py``: async migrations on asyncpg.

A service's ``migrations/env.py`` is two lines: import its models and call
:func:`run_migrations` with its MetaData. The URL comes from ``CRM_ALEMBIC_DATABASE_URL``
(set by the test plugin and the local stack), else ``sqlalchemy.url`` in alembic.ini,
else the service's settings.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from crm_chassis.tables import infra_metadata


def _include_object(obj, name, type_, reflected, compare_to):
    return not (type_ == "table" and name == "alembic_version")


def run_migrations(metadata: MetaData, default_url: Callable[[], str]) -> None:
    """Run Alembic online against the service's database, chassis tables included."""
    config = context.config
    url = (
        os.environ.get("CRM_ALEMBIC_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
        or default_url()
    )
    targets = [metadata, infra_metadata]

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=targets,
            include_object=_include_object,
            compare_type=True,
            compare_server_default=False,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=targets, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_async())
