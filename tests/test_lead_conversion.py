"""Lead conversion across services (S3): sales converts, contacts creates; a merge in
contacts re-points sales' deals. Both apps run in-process on their own databases and one
real NATS, so the events travel through the outbox, JetStream and the consumers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from typing import Any
from uuid import uuid4

import httpx
import pytest
from contacts_service.main import create_app as create_contacts
from contacts_service.settings import ContactsSettings
from crm_local.nats import EmbeddedNats
from crm_testing.service import bearer, client, eventually, running
from sales_service.main import create_app as create_sales
from sales_service.settings import SalesSettings


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory) -> Iterator[str]:
    """A NATS of this module's own: another contacts-service of the session (the e2e
    stack's) would otherwise share the durable consumers and take these events."""
    server = EmbeddedNats(tmp_path_factory.mktemp("conversion-nats"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def clients(service_database, nats_url, tmp_path_factory) -> AsyncIterator[Any]:
    """A client of the same tenant for each app: ``(sales, contacts)``."""
    tmp = tmp_path_factory.mktemp("conversion")
    sales_db = await service_database.acreate("sales_conversion", section="sales")
    contacts_db = await service_database.acreate("contacts_conversion", section="contacts")
    tenant = uuid4()
    async with AsyncExitStack() as stack:
        sales = await stack.enter_async_context(
            running(create_sales(SalesSettings(database_url=sales_db, nats_url=nats_url)))
        )
        contacts = await stack.enter_async_context(
            running(
                create_contacts(
                    ContactsSettings(
                        database_url=contacts_db,
                        nats_url=nats_url,
                        storage_path=str(tmp / "objects"),
                        imports_path=str(tmp / "imports"),
                    )
                )
            )
        )
        for app in (sales, contacts):
            await app.state.bus.wait_ready(10)
        sales_api = await stack.enter_async_context(
            client(sales, **bearer(sales.state.settings, tenant))
        )
        contacts_api = await stack.enter_async_context(
            client(contacts, **bearer(contacts.state.settings, tenant))
        )
        yield sales_api, contacts_api


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_a_converted_lead_exists_in_contacts_and_a_merge_repoints_its_deal(clients):
    sales, contacts = clients
    pipeline = await _ok(await sales.post("/v1/pipelines", json={"name": "P"}), 201)
    await _ok(
        await sales.post(
            "/v1/stages",
            json={"pipeline_id": pipeline["id"], "name": "Open", "position": 0, "probability": 20},
        ),
        201,
    )
    lead = await _ok(
        await sales.post(
            "/v1/leads",
            json={
                "first_name": "Ada",
                "last_name": "Lovelace",
                "company": "Engines Ltd",
                "email": "ada@engines.example",
            },
        ),
        201,
    )
    converted = await _ok(
        await sales.post(
            f"/v1/leads/{lead['id']}/convert", json={"deal": {"pipeline_id": pipeline["id"]}}
        )
    )
    contact_id, account_id = converted["converted_contact_id"], converted["converted_account_id"]

    async def in_contacts() -> tuple[Any, Any]:
        return (
            await _ok(await contacts.get(f"/v1/contacts/{contact_id}")),
            await _ok(await contacts.get(f"/v1/accounts/{account_id}")),
        )

    contact, account = await eventually(in_contacts, within=20)
    assert contact["email"] == "ada@engines.example" and contact["account_id"] == account_id
    assert account["name"] == "Engines Ltd"

    # A duplicate of Ada made by hand, merged into: the deal follows the survivor.
    twin = await _ok(
        await contacts.post("/v1/contacts", json={"first_name": "Ada", "last_name": "L."}), 201
    )
    await _ok(
        await contacts.post(
            "/v1/contacts/merge", json={"primary_id": twin["id"], "merged_ids": [contact_id]}
        )
    )

    async def repointed() -> None:
        deal = await _ok(await sales.get(f"/v1/deals/{converted['converted_deal_id']}"))
        assert deal["contact_id"] == twin["id"]

    await eventually(repointed, within=20)
    assert len((await _ok(await contacts.get("/v1/accounts")))["data"]) == 1
