from collections.abc import AsyncIterator

import pytest
from contacts_service.main import create_app
from contacts_service.settings import ContactsSettings
from crm_testing.fixtures import service_fixtures
from fastapi import FastAPI

globals().update(
    service_fixtures(
        name="contacts",
        create_app=create_app,
        settings_cls=ContactsSettings,
        settings_overrides=lambda tmp: {
            "storage_path": str(tmp.mktemp("objects")),  # attachments' content
            "imports_path": str(tmp.mktemp("imports")),  # uploaded import files
        },
    )
)


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
