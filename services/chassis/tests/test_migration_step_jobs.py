"""The ``jobs_lifecycle`` migration step: it builds the jobs table the model declares, and
its downgrade undoes it even when keys repeat across tenants and runs."""

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from crm_chassis import migration_steps as steps
from crm_chassis.tables import infra_metadata
from crm_local.postgres import create_database, database_url, drop_database
from sqlalchemy.ext.asyncio import create_async_engine


@pytest.fixture
async def connection(postgres_url: str):
    drop_database(postgres_url, "chassis_steps")
    create_database(postgres_url, "chassis_steps")
    engine = create_async_engine(database_url(postgres_url, "chassis_steps"))
    async with engine.connect() as conn:
        yield conn
    await engine.dispose()


def jobs_drift(sync_conn: Any) -> list[Any]:
    context = MigrationContext.configure(
        sync_conn,
        opts={
            "compare_type": True,
            "include_object": lambda o, name, type_, *_: (
                name == "jobs" if type_ == "table" else o.table.name == "jobs"
            ),
        },
    )
    return list(compare_metadata(context, infra_metadata))


def insert_jobs(sync_conn: Any, *rows: dict[str, Any]) -> None:
    for row in rows:
        sync_conn.execute(
            sa.text(
                "INSERT INTO jobs (id, tenant_id, kind, due_at, dedupe_key, done_at)"
                " VALUES (:id, :tenant_id, 'k', now(), :key, :done_at)"
            ),
            {"id": uuid4(), "done_at": None, **row},
        )


def up_down_up(sync_conn: Any) -> list[Any]:
    with Operations.context(MigrationContext.configure(sync_conn)):
        steps.create_chassis_tables()
        steps.outbox_deletes_published_rows_upgrade()
        steps.jobs_lifecycle_upgrade()
        # What the new schema allows and the old unique key does not.
        insert_jobs(
            sync_conn,
            {"tenant_id": uuid4(), "key": "sla"},
            {"tenant_id": uuid4(), "key": "sla"},
            {"tenant_id": None, "key": "sla", "done_at": datetime.now(UTC)},
        )
        steps.jobs_lifecycle_downgrade()
        keys = sync_conn.execute(sa.text("SELECT dedupe_key FROM jobs")).scalars().all()
        assert sorted(keys, key=str) == [None, None, "sla"]
        steps.jobs_lifecycle_upgrade()
    return jobs_drift(sync_conn)


async def test_the_jobs_step_matches_the_model_after_a_downgrade_and_upgrade(connection):
    assert await connection.run_sync(up_down_up) == []
