"""service_database (fixture) and truncate_all."""

from crm_testing import ServiceDatabases, truncate_all
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from .conftest import TINY_SERVICE


async def test_service_database_migrates_and_truncate_all_cleans(
    service_database: ServiceDatabases,
) -> None:
    url = await service_database.acreate("tiny", TINY_SERVICE / "alembic.ini")
    assert url.startswith("postgresql+asyncpg://")
    assert "/test_tiny_" in url
    assert service_database("tiny", TINY_SERVICE / "alembic.ini") == url  # cached

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO widgets (name) VALUES ('a'), ('b')"))
            await conn.execute(text("INSERT INTO gadgets (widget_id) VALUES (1)"))

        await truncate_all(engine)

        async with engine.begin() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM widgets")) == 0
            assert await conn.scalar(text("SELECT count(*) FROM gadgets")) == 0
            assert await conn.scalar(text("SELECT version_num FROM alembic_version")) == "0001"
            new_id = await conn.scalar(text("INSERT INTO widgets (name) VALUES ('c') RETURNING id"))
            assert new_id == 1  # identities restarted
    finally:
        await engine.dispose()
