"""Lead conversion across services (S3): sales converts, contacts creates; a merge in
contacts re-points sales' deals. Both apps run in-process on their own databases and one
real NATS, so the events travel through the outbox, JetStream and the consumers; contacts
is also served over real HTTP, which sales' calls to it (the duplicate check) go through."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from typing import Any
from uuid import uuid4

import httpx
import pytest
import uvicorn
from contacts_service.main import create_app as create_contacts
from contacts_service.settings import ContactsSettings
from crm_chassis.internal_http import InternalHttp, InternalHttpSettings
from crm_local.nats import EmbeddedNats
from crm_local.ports import free_port
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


@contextlib.asynccontextmanager
async def over_http(app: Any) -> AsyncIterator[str]:
    """``app`` (already started) served by uvicorn on a loopback port in this loop."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), lifespan="off", log_config=None
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            raise RuntimeError("uvicorn did not start")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def clients(service_database, nats_url, tmp_path_factory, smtp_server) -> AsyncIterator[Any]:
    """A client of the same tenant for each app: ``(sales, contacts)``."""
    tmp = tmp_path_factory.mktemp("conversion")
    sales_db = await service_database.acreate("sales_conversion", section="sales")
    contacts_db = await service_database.acreate("contacts_conversion", section="contacts")
    tenant = uuid4()
    async with AsyncExitStack() as stack:
        sales = await stack.enter_async_context(
            running(
                create_sales(
                    SalesSettings(
                        database_url=sales_db,
                        nats_url=nats_url,
                        smtp_host=smtp_server.host,
                        smtp_port=smtp_server.port,
                    )
                )
            )
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
        contacts_url = await stack.enter_async_context(over_http(contacts))
        sales.state.internal_http = InternalHttp(
            InternalHttpSettings(service_urls={"contacts": contacts_url})
        )
        stack.push_async_callback(sales.state.internal_http.aclose)
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


async def _pipeline(sales: httpx.AsyncClient, name: str) -> Any:
    """A pipeline with one open stage (20%), as a deal of a conversion needs."""
    pipeline = await _ok(await sales.post("/v1/pipelines", json={"name": name}), 201)
    stage = {"pipeline_id": pipeline["id"], "name": "Open", "position": 0, "probability": 20}
    await _ok(await sales.post("/v1/stages", json=stage), 201)
    return pipeline


async def test_a_converted_lead_exists_in_contacts_and_a_merge_repoints_its_deal(clients):
    sales, contacts = clients
    pipeline = await _pipeline(sales, "P")
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


async def test_the_duplicate_check_finds_a_planted_contact_and_account_in_contacts(clients):
    sales, contacts = clients
    email = f"grace-{uuid4().hex[:8]}@navy.example"
    company = f"Harvard Mark {uuid4().hex[:6]}"
    account = await _ok(await contacts.post("/v1/accounts", json={"name": company}), 201)
    planted = await _ok(
        await contacts.post(
            "/v1/contacts", json={"first_name": "Grace", "last_name": "Hopper", "email": email}
        ),
        201,
    )
    await _ok(
        await contacts.post("/v1/contacts", json={"first_name": "Other", "last_name": "X"}), 201
    )
    lead = await _ok(
        await sales.post(
            "/v1/leads",
            json={"first_name": "Grace", "last_name": "H.", "company": company, "email": email},
        ),
        201,
    )
    found = await _ok(await sales.get(f"/v1/leads/{lead['id']}/duplicates"))
    assert [c["id"] for c in found["contacts"]] == [planted["id"]]
    assert [a["id"] for a in found["accounts"]] == [account["id"]]
    fresh = await _ok(
        await sales.post(
            "/v1/leads", json={"last_name": "Nobody", "email": f"n-{uuid4().hex}@x.example"}
        ),
        201,
    )
    assert (await _ok(await sales.get(f"/v1/leads/{fresh['id']}/duplicates")))["contacts"] == []


async def test_a_quote_sent_without_a_recipient_is_mailed_to_the_deals_contact(clients, smtp_sink):
    import email
    from email import policy

    sales, contacts = clients
    pipeline = await _pipeline(sales, "Q")
    address = f"ada-{uuid4().hex[:8]}@engines.example"
    lead = await _ok(
        await sales.post(
            "/v1/leads", json={"first_name": "Ada", "last_name": "Byron", "email": address}
        ),
        201,
    )
    converted = await _ok(
        await sales.post(
            f"/v1/leads/{lead['id']}/convert", json={"deal": {"pipeline_id": pipeline["id"]}}
        )
    )

    async def in_contacts() -> None:
        await _ok(await contacts.get(f"/v1/contacts/{converted['converted_contact_id']}"))

    await eventually(in_contacts, within=20)
    quote = await _ok(
        await sales.post(
            "/v1/quotes",
            json={
                "deal_id": converted["converted_deal_id"],
                "currency": "EUR",
                "lines": [
                    {
                        "name": "Engine",
                        "quantity": "1",
                        "unit_price": {"amount": "99.00", "currency": "EUR"},
                    }
                ],
            },
        ),
        201,
    )
    await _ok(await sales.post(f"/v1/quotes/{quote['id']}/send"))
    (received,) = await smtp_sink.wait_for(1)
    message = email.message_from_bytes(received.as_bytes(), policy=policy.default)
    assert message["To"] == address and quote["number"] in message["Subject"]
    assert "99.00 EUR" in message.get_body(preferencelist=("plain",)).get_content()
