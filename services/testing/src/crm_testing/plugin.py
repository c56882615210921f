"""The ``crm`` pytest plugin: real PostgreSQL and NATS for tests, and helpers around them.

Fixtures: ``postgres_url``, ``nats_url``, ``nats_factory``, ``service_database``,
``event_capture``, ``s3_endpoint``, ``s3_store``, ``smtp_server`` and ``smtp_sink`` (a real
SMTP server keeping what it receives; an app whose settings have mail fields sends there).
Set ``CRM_TEST_DATABASE_URL`` / ``CRM_TEST_NATS_URL`` to use servers you run yourself
instead of the embedded ones started here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from crm_local.mail_sink import MailSink
from crm_local.nats import EmbeddedNats
from crm_local.postgres import EmbeddedPostgres

from crm_testing.database import ServiceDatabases
from crm_testing.events import EventCapture
from crm_testing.s3 import s3_endpoint, s3_store  # noqa: F401  (fixtures)

DATABASE_URL_ENV = "CRM_TEST_DATABASE_URL"
NATS_URL_ENV = "CRM_TEST_NATS_URL"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Admin URL (``postgresql://``) of the test PostgreSQL server.

    ``CRM_TEST_DATABASE_URL`` if set; else an embedded server (fsync off) in a temporary
    directory, started once per session and deleted at the end.
    """
    if url := os.environ.get(DATABASE_URL_ENV):
        yield url
        return
    base = Path(tempfile.mkdtemp(prefix="crm-test-pg-"))
    server = EmbeddedPostgres(base / "data", fast=True)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    """URL of the test NATS server (JetStream on).

    ``CRM_TEST_NATS_URL`` if set; else an embedded nats-server on a free port with its
    store in a temporary directory, once per session.
    """
    if url := os.environ.get(NATS_URL_ENV):
        yield url
        return
    base = Path(tempfile.mkdtemp(prefix="crm-test-nats-"))
    server = EmbeddedNats(base)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[MailSink]:
    """A real SMTP server (aiosmtpd) on a free port for the whole session."""
    with MailSink() as sink:
        yield sink


@pytest.fixture
def smtp_sink(smtp_server: MailSink) -> MailSink:
    """The session's SMTP server, emptied and without rejections for this test."""
    smtp_server.clear()
    return smtp_server


@pytest.fixture
def nats_factory() -> Iterator[Callable[[], EmbeddedNats]]:
    """Factory of private, started nats-servers (own store, free port).

    The test may ``stop()`` and ``start()`` them again (same port, same store); all are
    stopped and deleted at teardown.
    """
    servers: list[EmbeddedNats] = []

    def make() -> EmbeddedNats:
        server = EmbeddedNats(Path(tempfile.mkdtemp(prefix="crm-test-nats-")))
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def service_database(postgres_url: str) -> Iterator[ServiceDatabases]:
    """``service_database(name, alembic_ini) -> postgresql+asyncpg URL``.

    Creates ``test_<name>_<hex>`` on the test server and runs ``alembic upgrade head``
    against it, once per name per session. Databases on a server given through
    ``CRM_TEST_DATABASE_URL`` are dropped at the end of the session.
    """
    databases = ServiceDatabases(postgres_url, drop_on_close=DATABASE_URL_ENV in os.environ)
    yield databases
    databases.close()


@pytest_asyncio.fixture(loop_scope="session")
async def event_capture(nats_url: str) -> AsyncIterator[EventCapture]:
    """An ``EventCapture`` subscribed to ``crm.>`` on the test NATS for this test."""
    async with EventCapture(nats_url) as capture:
        yield capture
