"""Check that an app's migrations and its ORM models agree.

``tests/test_migrations_match_models.py`` runs :func:`schema_drift` for every app of the
workspace's ``alembic.ini`` (:func:`workspace_apps`), so a new app is covered by adding
its section there.
"""

from __future__ import annotations

import configparser
import pkgutil
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from crm_chassis.tables import infra_metadata
from crm_local.migrations import WORKSPACE_ALEMBIC_INI
from crm_local.stack import find_repo_root
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


def _sections() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(find_repo_root() / WORKSPACE_ALEMBIC_INI)
    return parser


def workspace_apps() -> list[str]:
    """The apps (sections naming a MetaData) of the workspace's ``alembic.ini``."""
    parser = _sections()
    return [name for name in parser.sections() if parser.has_option(name, "metadata")]


def app_metadata(app: str) -> MetaData:
    """The MetaData that ``app``'s section of the workspace's ``alembic.ini`` names."""
    metadata = pkgutil.resolve_name(_sections().get(app, "metadata"))
    assert isinstance(metadata, MetaData), f"[{app}] metadata is not a MetaData: {metadata!r}"
    return metadata
