from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest
from contacts_service.main import create_app
from contacts_service.settings import ContactsSettings
from crm_testing import truncate_all
from crm_testing.service import bearer, client, running
from fastapi import FastAPI

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


@pytest.fixture(scope="session")
async def contacts_db_url(service_database) -> str:
    return await service_database.acreate("contacts", ALEMBIC_INI)


@pytest.fixture(scope="session")
async def contacts_app(
    contacts_db_url: str, nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    settings = ContactsSettings(
        database_url=contacts_db_url,
        nats_url=nats_url,
        storage_path=str(tmp_path_factory.mktemp("objects")),  # attachments' content
        imports_path=str(tmp_path_factory.mktemp("imports")),  # uploaded import files
    )
    async with running(create_app(settings)) as app:
        yield app


@pytest.fixture
async def tenant(contacts_app: FastAPI) -> UUID:
    await truncate_all(contacts_app.state.engine)
    return uuid4()


@pytest.fixture
async def api(contacts_app: FastAPI, tenant: UUID) -> AsyncIterator[httpx.AsyncClient]:
    """A client authenticated as a user of ``tenant`` with every scope."""
    async with client(contacts_app, **bearer(contacts_app.state.settings, tenant)) as c:
        yield c


@pytest.fixture
async def other_api(contacts_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of another tenant."""
    async with client(contacts_app, **bearer(contacts_app.state.settings, uuid4())) as c:
        yield c


@pytest.fixture
async def anonymous(contacts_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client(contacts_app) as c:
        yield c


@pytest.fixture
async def import_files_cleaned_up(contacts_app: FastAPI) -> AsyncIterator[None]:
    """After the test, wait for finished imports' files to be deleted (a job does it once
    the import has committed), so the next test's truncation leaves none behind."""
    from crm_chassis.tables import jobs
    from crm_testing.service import eventually
    from sqlalchemy import func, select

    yield

    async def no_cleanup_pending() -> None:
        async with contacts_app.state.sessions() as session:
            stmt = (
                select(func.count())
                .select_from(jobs)
                .where(jobs.c.kind == "contacts.import.cleanup", jobs.c.done_at.is_(None))
            )
            assert (await session.execute(stmt)).scalar_one() == 0

    await eventually(no_cleanup_pending, within=15)
