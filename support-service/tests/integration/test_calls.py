"""Call records (V6): logged with their timeline event, E.164 checked, a call opens a
ticket; screen-pop and click-to-dial against the real contacts-service (the caller and
their unsolved tickets), and a clean 503 while contacts-service is unreachable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
import uvicorn
from crm_chassis.internal_http import InternalHttp, InternalHttpSettings
from crm_local.ports import free_port
from crm_testing.events import EventCapture
from crm_testing.service import running
from fastapi import FastAPI

from .helpers import created

CALL = {
    "direction": "inbound", "from_number": "+4930123456", "to_number": "+4940999000",
    "started_at": "2026-12-01T10:00:00Z", "duration_seconds": 95, "outcome": "answered",
}  # fmt: skip


async def test_a_call_is_logged_and_opens_a_ticket(
    api: httpx.AsyncClient, event_capture: EventCapture
) -> None:
    contact = str(uuid4())
    record = await created(api, "/v1/calls", {**CALL, "contact_id": contact,
                                               "recording_ref": "calls/1.ogg"})  # fmt: skip
    logged = await event_capture.wait_for("crm.support.call.logged.v1")
    assert logged["data"]["contact_id"] == contact and logged["data"]["number"] == "+4930123456"
    opened = await api.post(f"/v1/calls/{record['id']}/ticket", json={"subject": "Caller"})
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    assert ticket["channel"] == "phone" and ticket["requester_id"] == contact
    assert (await api.get(f"/v1/calls/{record['id']}")).json()["ticket_id"] == ticket["id"]
    again = await api.post(f"/v1/calls/{record['id']}/ticket", json={})
    assert again.status_code == 409
    listed = (await api.get("/v1/calls", params={"contact_id": contact})).json()["data"]
    assert [c["id"] for c in listed] == [record["id"]]


async def test_bad_numbers_are_422_and_screen_pop_without_contacts_is_503(
    api: httpx.AsyncClient,
) -> None:
    assert (await api.post("/v1/calls", json={**CALL, "from_number": "030 123"})).status_code == 422
    pop = await api.get("/v1/calls/screen-pop", params={"number": "+4930123456"})
    assert pop.status_code in (502, 503), pop.text
    assert pop.headers["content-type"] == "application/problem+json"


@pytest.fixture(scope="module")
async def contacts_url(
    service_database: Any, nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """The real contacts-service, on its own migrated database, under uvicorn on a
    loopback port: what screen-pop and click-to-dial ask over HTTP."""
    from contacts_service.main import create_app
    from contacts_service.settings import ContactsSettings

    settings = ContactsSettings(
        database_url=await service_database.acreate("contacts", section="contacts"),
        nats_url=nats_url,
        storage_path=str(tmp_path_factory.mktemp("contact-objects")),
        imports_path=str(tmp_path_factory.mktemp("contact-imports")),
    )
    async with running(create_app(settings)) as app:
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               lifespan="off", log_level="warning"))  # fmt: skip
        task = asyncio.create_task(server.serve())
        try:
            while not server.started:
                assert not task.done(), "contacts-service did not start"
                await asyncio.sleep(0.02)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await task


@pytest.fixture
async def with_contacts(support_app: FastAPI, contacts_url: str) -> AsyncIterator[None]:
    """support-service's client to other services pointed at that contacts-service."""
    before = getattr(support_app.state, "internal_http", None)
    support_app.state.internal_http = InternalHttp(
        InternalHttpSettings(service_urls={"contacts": contacts_url})
    )
    try:
        yield
    finally:
        await support_app.state.internal_http.aclose()
        support_app.state.internal_http = before


async def test_screen_pop_finds_the_caller_and_their_unsolved_tickets(
    api: httpx.AsyncClient, contacts_url: str, with_contacts: None
) -> None:
    async with httpx.AsyncClient(base_url=contacts_url, headers=dict(api.headers)) as contacts:
        made = await contacts.post("/v1/contacts", json={
            "first_name": "Ada", "last_name": "Lovelace",
            "phones": [{"number": "+49 30 123456", "label": "mobile"}],
        })  # fmt: skip
        assert made.status_code == 201, made.text
        other = await contacts.post("/v1/contacts", json={"first_name": "Bob", "last_name": "B"})
        assert other.status_code == 201, other.text
    caller, stranger = made.json()["id"], other.json()["id"]
    waiting = await created(api, "/v1/tickets", {"subject": "Router down", "requester_id": caller})
    done = await created(api, "/v1/tickets", {"subject": "Old bill", "requester_id": caller})
    solved = await api.patch(f"/v1/tickets/{done['id']}", json={"status": "solved"},
                             headers={"Content-Type": "application/merge-patch+json"})  # fmt: skip
    assert solved.status_code == 200, solved.text
    await created(api, "/v1/tickets", {"subject": "Not the caller's", "requester_id": stranger})

    pop = await api.get("/v1/calls/screen-pop", params={"number": "+4930123456"})

    assert pop.status_code == 200, pop.text
    body = pop.json()
    assert body["number"] == "+4930123456"
    assert [c["id"] for c in body["contacts"]] == [caller]
    assert body["contacts"][0]["last_name"] == "Lovelace"
    assert body["open_tickets"] == [{"id": waiting["id"], "number": waiting["number"],
                                     "subject": "Router down", "status": "new"}]  # fmt: skip

    dial = await api.get("/v1/calls/dial", params={"contact_id": caller})
    assert dial.status_code == 200, dial.text
    assert dial.json()["numbers"] == [
        {"number": "+4930123456", "uri": "tel:+4930123456", "label": "mobile"}
    ]


async def test_screen_pop_of_an_unknown_number_is_empty(
    api: httpx.AsyncClient, with_contacts: None
) -> None:
    pop = await api.get("/v1/calls/screen-pop", params={"number": "+4930999999"})
    assert pop.status_code == 200, pop.text
    assert pop.json() == {"number": "+4930999999", "contacts": [], "open_tickets": []}
