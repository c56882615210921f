"""A real contacts-service under uvicorn on a free loopback port, for the CLI to talk to."""

import asyncio
import threading
from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest
import uvicorn
from contacts_service.main import create_app
from contacts_service.settings import ContactsSettings
from crm_testing import free_port
from crm_testing.service import token


@pytest.fixture(scope="session")
async def cli_db_url(service_database) -> str:
    return await service_database.acreate("contacts_cli", section="contacts")


@pytest.fixture(scope="session")
def served(
    cli_db_url: str, nats_url: str, tmp_path_factory
) -> Iterator[tuple[str, ContactsSettings]]:
    """(base URL, settings) of the service running in a thread with its own event loop."""
    settings = ContactsSettings(
        database_url=cli_db_url,
        nats_url=nats_url,
        imports_path=str(tmp_path_factory.mktemp("imports")),
        storage_path=str(tmp_path_factory.mktemp("objects")),
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = 60.0
    while not server.started and deadline > 0 and thread.is_alive():
        threading.Event().wait(0.05)
        deadline -= 0.05
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", settings
    server.should_exit = True
    thread.join(30)


@pytest.fixture
def tenant() -> UUID:
    return uuid4()


@pytest.fixture
def cli_env(served, tenant, tmp_path) -> dict[str, str]:
    """Environment of a `crm` run: the service's URL, a token of a fresh tenant, and a
    private config folder."""
    url, settings = served
    return {
        "CRM_URL": url,
        "CRM_TOKEN": token(settings, tenant),
        "CRM_CONFIG_DIR": str(tmp_path / "config"),
        "CRM_API_KEY": "",
        "COLUMNS": "120",
    }
