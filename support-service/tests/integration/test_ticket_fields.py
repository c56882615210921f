"""Ticket custom fields (V1): the tenant defines them (kind, options, required); a ticket's
``custom`` is checked against them on every write (a 422 naming each field), and they
are searchable like the standard fields."""

from __future__ import annotations

import httpx
from crm_testing.events import EventCapture

from .helpers import created

MERGE = {"Content-Type": "application/merge-patch+json"}


async def define(api: httpx.AsyncClient) -> None:
    await created(api, "/v1/ticket-fields", {"key": "product", "label": "Product",
                                             "kind": "enum", "options": ["router", "modem"],
                                             "required": True})  # fmt: skip
    await created(api, "/v1/ticket-fields", {"key": "units", "label": "Units", "kind": "number"})
    await created(api, "/v1/ticket-fields", {"key": "since", "label": "Since", "kind": "date"})


async def test_custom_values_are_checked_per_field_on_create_and_patch(
    api: httpx.AsyncClient,
) -> None:
    await define(api)
    bad = await api.post(
        "/v1/tickets",
        json={
            "subject": "x",
            "custom": {
                "product": "toaster",
                "units": "three",
                "since": "yesterday",
                "colour": "red",
            },
        },
    )
    assert bad.status_code == 422, bad.text
    assert bad.headers["content-type"] == "application/problem+json"
    assert sorted(e["field"] for e in bad.json()["errors"]) == [
        "custom.colour", "custom.product", "custom.since", "custom.units"
    ]  # fmt: skip
    missing = await api.post("/v1/tickets", json={"subject": "x", "custom": {"units": 2}})
    assert missing.status_code == 422, missing.text
    assert missing.json()["errors"] == [{"field": "custom.product", "message": "required"}]

    ticket = await created(api, "/v1/tickets", {"subject": "x", "custom": {
        "product": "router", "units": 2, "since": "2026-11-30"}})  # fmt: skip
    assert ticket["custom"] == {"product": "router", "units": 2, "since": "2026-11-30"}
    path = f"/v1/tickets/{ticket['id']}"
    wrong = await api.patch(path, json={"custom": {"units": True}}, headers=MERGE)
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["errors"] == [{"field": "custom.units", "message": "must be a number"}]
    cleared = await api.patch(path, json={"custom": {"product": None}}, headers=MERGE)
    assert cleared.status_code == 422, cleared.text
    assert cleared.json()["errors"] == [{"field": "custom.product", "message": "required"}]
    fine = await api.patch(path, json={"custom": {"product": "modem"}}, headers=MERGE)
    assert fine.status_code == 200, fine.text
    assert fine.json()["custom"]["product"] == "modem"


async def test_definitions_are_checked_and_a_key_and_kind_stay_fixed(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    no_options = await api.post("/v1/ticket-fields", json={"key": "tier", "label": "Tier",
                                                            "kind": "enum"})  # fmt: skip
    assert no_options.status_code == 422, no_options.text
    bad_kind = await api.post("/v1/ticket-fields", json={"key": "t", "label": "T", "kind": "x"})
    assert bad_kind.status_code == 422
    tier = {"key": "tier", "label": "Tier", "kind": "enum", "options": ["a", "b"]}
    field = await created(api, "/v1/ticket-fields", tier)
    again = await api.post("/v1/ticket-fields", json={"key": "tier", "label": "T", "kind": "text"})
    assert again.status_code == 409, again.text
    moved = await api.patch(f"/v1/ticket-fields/{field['id']}", json={"kind": "text"},
                            headers=MERGE)  # fmt: skip
    assert moved.status_code == 409, moved.text
    # Another tenant has no such field: its tickets cannot use it.
    foreign = await other_api.post("/v1/tickets", json={"subject": "x", "custom": {"tier": "a"}})
    assert foreign.status_code == 422, foreign.text


async def test_custom_fields_are_searchable(api: httpx.AsyncClient) -> None:
    await define(api)

    def ticket(subject: str, product: str, units: int) -> dict[str, object]:
        return {"subject": subject, "custom": {"product": product, "units": units}}

    few = await created(api, "/v1/tickets", ticket("few", "router", 2))
    many = await created(api, "/v1/tickets", ticket("many", "router", 40))
    await created(api, "/v1/tickets", ticket("modem", "modem", 90))

    async def found(body: dict[str, object]) -> list[str]:
        response = await api.post("/v1/tickets/search", json=body)
        assert response.status_code == 200, response.text
        return [t["id"] for t in response.json()["data"]]

    router = {"field": "custom.product", "operator": "eq", "value": "router"}
    assert await found({"filter_groups": [{"filters": [router]}],
                        "sort": "custom.units"}) == [few["id"], many["id"]]  # fmt: skip
    big = {"field": "custom.units", "operator": "gt", "value": 10}
    assert await found({"filter_groups": [{"filters": [router, big]}]}) == [many["id"]]
    unknown = await api.post("/v1/tickets/search", json={"filter_groups": [{"filters": [
        {"field": "custom.colour", "operator": "eq", "value": "red"}]}]})  # fmt: skip
    assert unknown.status_code == 422, unknown.text
    wrong = await api.post("/v1/tickets/search", json={"filter_groups": [{"filters": [
        {"field": "custom.units", "operator": "gt", "value": "many"}]}]})  # fmt: skip
    assert wrong.status_code == 422, wrong.text


async def test_a_definitions_changes_are_events(
    api: httpx.AsyncClient, event_capture: EventCapture
) -> None:
    field = await created(api, "/v1/ticket-fields", {"key": "region", "label": "Region",
                                                      "kind": "text"})  # fmt: skip
    path = f"/v1/ticket-fields/{field['id']}"
    changed = await api.patch(path, json={"required": True}, headers=MERGE)
    assert changed.status_code == 200, changed.text
    gone = await api.delete(path, headers={"If-Match": changed.headers["ETag"]})
    assert gone.status_code == 204, gone.text
    made = await event_capture.wait_for("crm.support.ticket_field.created.v1")
    assert made["data"]["ticket_field"]["key"] == "region"
    updated = await event_capture.wait_for("crm.support.ticket_field.updated.v1")
    assert updated["data"]["changed"] == ["required"]
    assert updated["data"]["ticket_field"]["required"] is True
    deleted = await event_capture.wait_for("crm.support.ticket_field.deleted.v1")
    assert deleted["data"]["id"] == field["id"]
