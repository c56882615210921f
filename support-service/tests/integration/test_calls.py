"""Call records (V6): logged with their timeline event, E.164 checked, a call opens a
ticket; screen-pop answers a clean 503 while contacts-service is unreachable."""

from __future__ import annotations

from uuid import uuid4

import httpx
from crm_testing.events import EventCapture

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
