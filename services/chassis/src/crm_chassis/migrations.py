"""The body of every service's Alembic ``env.py``: async migrations on asyncpg.

Every app shares one ``alembic.ini`` (a section per app, chosen with ``-n``) and one
script directory whose ``env.py`` calls :func:`run_configured_migrations`; the section
names the app's MetaData and settings class. :func:`run_migrations` is the same for a tree
that names its MetaData in its own env.py. The URL comes from ``CRM_ALEMBIC_DATABASE_URL``
(set by the test plugin and the local stack), else ``sqlalchemy.url`` in the ini, else
the service's settings.
"""

from __future__ import annotations

import asyncio
import os
import pkgutil
from collections.abc import Callable

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from crm_chassis.tables import infra_metadata


def _include_object(obj, name, type_, reflected, compare_to):
    return not (type_ == "table" and name == "alembic_version")


def run_configured_migrations() -> None:
    """Run the migrations of the app whose ini section Alembic was given (``-n <app>``).

    The section's ``metadata`` and ``settings`` options name the app's MetaData and its
    settings class as ``package.module:attribute``.
    """
    config = context.config
    metadata_ref = config.get_main_option("metadata")
    settings_ref = config.get_main_option("settings")
    if not metadata_ref or not settings_ref:
        raise RuntimeError(
            f"section [{config.config_ini_section}] of {config.config_file_name} names no "
            "app's metadata and settings; pick an app: alembic -n contacts ..."
        )
    metadata = pkgutil.resolve_name(metadata_ref)
    settings_cls = pkgutil.resolve_name(settings_ref)
    run_migrations(metadata, lambda: str(settings_cls().database_url))


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
