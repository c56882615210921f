"""The fixtures every service's tests need, made by one call in its ``conftest.py``::

    globals().update(service_fixtures(name="sales", create_app=create_app,
                                      settings_cls=SalesSettings))

gives ``sales_db_url`` and ``sales_app`` (also as ``service_db_url`` and ``service_app``,
so one package holds one app; once per session: a migrated database and the
app with its lifespan running on the test PostgreSQL and NATS), ``tenant`` (a new tenant
id, with every table emptied first), ``api`` (a client of that tenant with every scope),
``other_api`` (a client of another tenant) and ``anonymous`` (no token). Defined in a
package's conftest.py, they exist for that package's tests only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI

from crm_testing.database import ServiceDatabases, truncate_all
from crm_testing.service import bearer, client, running

#: Extra settings of the app, or a function of pytest's ``tmp_path_factory`` giving them
#: (for folders the app writes to).
Overrides = Mapping[str, Any] | Callable[[pytest.TempPathFactory], Mapping[str, Any]]


def service_fixtures(
    *,
    name: str,
    create_app: Callable[[Any], FastAPI],
    settings_cls: Callable[..., Any],
    section: str | None = None,
    alembic_ini: Path | None = None,
    settings_overrides: Overrides | None = None,
) -> dict[str, Any]:
    """The fixtures of one app's tests, by name, for ``globals().update(...)``.

    The database is migrated with the workspace ``alembic.ini`` section ``section``
    (default ``name``), or with ``alembic_ini`` when given (a tree of its own).
    """
    db_url_name, app_name = f"{name}_db_url", f"{name}_app"

    @pytest.fixture(scope="session", name="service_db_url")
    async def db_url(service_database: ServiceDatabases) -> str:
        """URL of the app's migrated test database (also named ``<name>_db_url``)."""
        return await service_database.acreate(
            name, alembic_ini, section=section if alembic_ini else (section or name)
        )

    @pytest.fixture(scope="session", name="service_app")
    async def app(
        service_db_url: str,
        nats_url: str,
        tmp_path_factory: pytest.TempPathFactory,
        request: pytest.FixtureRequest,
    ) -> AsyncIterator[FastAPI]:
        """The app with its lifespan running (also named ``<name>_app``); an app that
        sends mail (its settings have ``smtp_port``) sends it to ``smtp_server``."""
        overrides = dict(
            settings_overrides(tmp_path_factory)
            if callable(settings_overrides)
            else settings_overrides or {}
        )
        if "smtp_port" in getattr(settings_cls, "model_fields", {}):
            sink = request.getfixturevalue("smtp_server")
            overrides = {"smtp_host": sink.host, "smtp_port": sink.port, **overrides}
        settings = settings_cls(database_url=service_db_url, nats_url=nats_url, **overrides)
        async with running(create_app(settings)) as started:
            yield started

    @pytest.fixture(scope="session", name=db_url_name)
    def named_db_url(service_db_url: str) -> str:
        return service_db_url

    @pytest.fixture(scope="session", name=app_name)
    def named_app(service_app: FastAPI) -> FastAPI:
        return service_app

    @pytest.fixture(name="tenant")
    async def tenant(service_app: FastAPI) -> UUID:
        """A new tenant on an empty database."""
        await truncate_all(service_app.state.engine)
        return uuid4()

    @pytest.fixture(name="api")
    async def api(service_app: FastAPI, tenant: UUID) -> AsyncIterator[httpx.AsyncClient]:
        """A client authenticated as a user of ``tenant`` with every scope."""
        async with client(service_app, **bearer(service_app.state.settings, tenant)) as http:
            yield http

    @pytest.fixture(name="other_api")
    async def other_api(service_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
        """A client of another tenant."""
        async with client(service_app, **bearer(service_app.state.settings, uuid4())) as http:
            yield http

    @pytest.fixture(name="anonymous")
    async def anonymous(service_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
        """A client without a token."""
        async with client(service_app) as http:
            yield http

    fixtures = (db_url, app, named_db_url, named_app, tenant, api, other_api, anonymous)
    return {f"_{name}_{fixture.__name__}": fixture for fixture in fixtures}
