"""EmbeddedPostgres and the SQL helpers."""

import os
from pathlib import Path

import pytest
from crm_local.postgres import (
    EmbeddedPostgres,
    create_database,
    database_url,
    drop_database,
    libpq_url,
    run_sql,
)


def test_start_query_reuse_stop_restart(scratch: Path) -> None:
    server = EmbeddedPostgres(scratch / "pg", fast=True)
    url = server.start()
    try:
        assert url == f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
        assert run_sql(url, "SELECT 40 + 2") == "42"
        assert run_sql(url, "SHOW fsync") == "off"
        assert run_sql(url, "SHOW max_connections") == "300"
        assert run_sql(url, "SHOW TimeZone") == "UTC"
        assert server.create_database("kept") is True
        assert server.create_database("kept") is False

        # A second handle on the same data directory reuses the running server.
        again = EmbeddedPostgres(scratch / "pg")
        assert again.start() == url

        server.stop()
        assert not server.is_running()
        assert server.start() == url  # same port, same data
        assert run_sql(url, "SELECT count(*) FROM pg_database WHERE datname = 'kept'") == "1"
    finally:
        server.stop()
    assert not server.is_running()


def test_postgres_url_fixture(postgres_url: str) -> None:
    assert run_sql(postgres_url, "SELECT current_setting('server_version_num')::int >= 160000")
    assert create_database(postgres_url, "crm_local_fixture_db") is True
    drop_database(postgres_url, "crm_local_fixture_db")
    drop_database(postgres_url, "crm_local_fixture_db")  # idempotent
    if "CRM_TEST_DATABASE_URL" not in os.environ:
        assert run_sql(postgres_url, "SHOW synchronous_commit") == "off"


def test_database_names_are_checked(postgres_url: str) -> None:
    with pytest.raises(ValueError, match="invalid database name"):
        create_database(postgres_url, 'x"; DROP DATABASE postgres; --')


def test_urls() -> None:
    admin = "postgresql://u:p@127.0.0.1:55432/postgres?sslmode=disable"
    assert database_url(admin, "crm_sales") == (
        "postgresql+asyncpg://u:p@127.0.0.1:55432/crm_sales?sslmode=disable"
    )
    assert database_url(admin, "x", driver=None) == (
        "postgresql://u:p@127.0.0.1:55432/x?sslmode=disable"
    )
    assert libpq_url("postgresql+asyncpg://h:1/db") == "postgresql://h:1/db"
    assert libpq_url("postgres://h:1/db") == "postgresql://h:1/db"
