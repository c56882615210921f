"""Per-service test databases (migrated with Alembic) and per-test clean state."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from crm_local.migrations import WORKSPACE_ALEMBIC_INI, alembic_upgrade
from crm_local.postgres import create_database, database_url, drop_database
from crm_local.stack import find_repo_root

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


class ServiceDatabases:
    """Creates one fresh, migrated database per name, once per test session.

    ``service_database("contacts")`` migrates with the workspace's ``alembic.ini``
    section of the same name and returns a ``postgresql+asyncpg://`` URL; the same name
    returns the same URL again. ``service_database("contacts_cli", section="contacts")``
    is a second database of one app; ``alembic_ini=`` names another Alembic tree.
    """

    def __init__(self, admin_url: str, *, drop_on_close: bool = False) -> None:
        """``admin_url`` is a plain ``postgresql://`` URL of the test server."""
        self.admin_url = admin_url
        self.drop_on_close = drop_on_close
        # name -> (tree, db, url); a tree is (ini, section)
        self._created: dict[str, tuple[tuple[Path, str | None], str, str]] = {}
        # Callers may come from several threads (asyncio.to_thread); one migration at a
        # time keeps the cache consistent.
        self._lock = threading.Lock()

    def __call__(
        self, name: str, alembic_ini: Path | None = None, *, section: str | None = None
    ) -> str:
        """Create and migrate (first call per ``name``) the database; return its URL.

        Without ``alembic_ini`` the workspace's ini is used, with ``section`` (default:
        ``name``). Blocks for the migration (a child process, about a second); from
        async code prefer ``await service_database.acreate(...)``.
        """
        if alembic_ini is None:
            alembic_ini = find_repo_root() / WORKSPACE_ALEMBIC_INI
            section = section or name
        tree = (Path(alembic_ini).resolve(), section)
        with self._lock:
            if name in self._created:
                known_tree, _, url = self._created[name]
                if known_tree != tree:
                    raise ValueError(f"database {name!r} was created from {known_tree}, not {tree}")
                return url
            slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40] or "db"
            db_name = f"test_{slug}_{uuid.uuid4().hex[:8]}"
            create_database(self.admin_url, db_name)
            url = database_url(self.admin_url, db_name)
            alembic_upgrade(tree[0], url, section=section)
            self._created[name] = (tree, db_name, url)
            return url

    async def acreate(
        self, name: str, alembic_ini: Path | None = None, *, section: str | None = None
    ) -> str:
        """Same as calling the object, without blocking the event loop."""
        return await asyncio.to_thread(self, name, alembic_ini, section=section)

    def close(self) -> None:
        """Drop the databases created (only when ``drop_on_close``, i.e. a shared server)."""
        if self.drop_on_close:
            for _, db_name, _ in self._created.values():
                drop_database(self.admin_url, db_name)
        self._created.clear()


async def truncate_all(engine: AsyncEngine, *, keep: tuple[str, ...] = ()) -> None:
    """Empty every table of the public schema except ``alembic_version`` (and ``keep``).

    One ``TRUNCATE ... RESTART IDENTITY CASCADE`` statement, so identities restart and
    foreign keys need no ordering.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    skipped = {"alembic_version", *keep}
    # TRUNCATE locks every table; a background consumer or job of the app under test
    # that holds a row lock on one table and wants another can deadlock with it. The
    # server then aborts one side: when that is us, try again.
    for attempt in range(5):
        try:
            async with engine.begin() as conn:
                # The app's statement timeout (a few seconds, to fail fast) is too short
                # for a TRUNCATE that waits on a consumer's or a job's transaction.
                await conn.execute(text("SET LOCAL statement_timeout = '60s'"))
                result = await conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
                )
                tables = [row[0] for row in result if row[0] not in skipped]
                if tables:
                    names = ", ".join('public."{}"'.format(t.replace('"', '""')) for t in tables)
                    await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        except DBAPIError as exc:
            if "deadlock" not in str(exc).lower() or attempt == 4:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
