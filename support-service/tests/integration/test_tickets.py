"""Tickets through HTTP: creation, enforced transitions, history, tenancy, bad input."""

from __future__ import annotations

from uuid import uuid4

import httpx
from crm_testing.events import EventCapture


async def test_a_ticket_is_created_read_listed_and_its_event_published(
    api: httpx.AsyncClient, event_capture: EventCapture
) -> None:
    created = await api.post(
        "/v1/tickets",
        json={
            "subject": "Printer on fire",
            "channel": "phone",
            "priority": "high",
            "description": "It is smoking.",
            "tags": ["hardware"],
        },
    )
    assert created.status_code == 201, created.text
    body, url = created.json(), created.headers["location"]
    assert url == f"/v1/tickets/{body['id']}" and created.headers["etag"] == f'"{body["version"]}"'
    assert body["status"] == "new" and body["number"] == 1
    assert (await api.get(url)).json()["subject"] == "Printer on fire"
    listed = (await api.get("/v1/tickets", params={"status": "new", "limit": 5})).json()["data"]
    assert [t["id"] for t in listed] == [body["id"]]
    assert (await api.get("/v1/tickets", params={"status": "open"})).json()["data"] == []
    messages = (await api.get(f"{url}/messages")).json()
    assert [(m["author"], m["body"]) for m in messages] == [("customer", "It is smoking.")]
    event = await event_capture.wait_for("crm.support.ticket.created.v1")
    assert event["subject"] == body["id"] and event["data"]["priority"] == "high"
    second = (await api.post("/v1/tickets", json={"subject": "Another"})).json()
    assert second["number"] == 2


async def test_a_forbidden_transition_is_a_409_naming_both_states(api: httpx.AsyncClient) -> None:
    url = (await api.post("/v1/tickets", json={"subject": "x"})).headers["location"]
    assert (await api.patch(url, json={"status": "solved"})).status_code == 200
    refused = await api.patch(url, json={"status": "pending"})
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "solved" in refused.json()["detail"] and "pending" in refused.json()["detail"]
    reopened = await api.patch(url, json={"status": "open"})
    assert reopened.status_code == 200 and reopened.json()["solved_at"] is None
    await api.patch(url, json={"status": "solved"})
    assert (await api.patch(url, json={"status": "closed"})).status_code == 200
    closed = await api.patch(url, json={"status": "open"})
    assert closed.status_code == 409 and "closed to open" in closed.json()["detail"]
    history = (await api.get(f"{url}/history")).json()
    moves = [(e["data"]["from"], e["data"]["to"]) for e in history if e["kind"] == "status"]
    assert moves == [
        ("new", "solved"),
        ("solved", "open"),
        ("open", "solved"),
        ("solved", "closed"),
    ]


async def test_an_agent_reply_opens_a_new_ticket_and_a_note_does_not(
    api: httpx.AsyncClient,
) -> None:
    url = (await api.post("/v1/tickets", json={"subject": "x"})).headers["location"]
    note = await api.post(f"{url}/messages", json={"body": "internal", "public": False})
    assert note.status_code == 201 and (await api.get(url)).json()["status"] == "new"
    await api.post(f"{url}/messages", json={"body": "Hello", "status": "pending"})
    assert (await api.get(url)).json()["status"] == "pending"


async def test_bad_input_and_another_tenants_ticket_are_clean_4xx(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    assert (await api.post("/v1/tickets", json={"subject": ""})).status_code == 422
    bad_channel = await api.post("/v1/tickets", json={"subject": "a", "channel": "fax"})
    assert bad_channel.status_code == 422
    url = (await api.post("/v1/tickets", json={"subject": "Mine"})).headers["location"]
    assert (await api.patch(url, json={"status": "archived"})).status_code == 422
    assert (
        await api.patch(url, json={"subject": "y"}, headers={"If-Match": '"99"'})
    ).status_code == 412
    for path in ("", "/sla", "/messages", "/history"):
        assert (await other_api.get(f"{url}{path}")).status_code == 404
    assert (await other_api.patch(url, json={"subject": "Theirs"})).status_code == 404
    assert (await other_api.post(f"{url}/messages", json={"body": "hi"})).status_code == 404


async def test_a_file_is_attached_listed_and_downloaded_by_its_tickets_tenant_only(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, event_capture: EventCapture
) -> None:
    url = (await api.post("/v1/tickets", json={"subject": "Log"})).headers["location"]
    uploaded = await api.post(
        f"{url}/attachments",
        params={"filename": "../app log.txt"},
        content=b"line 1\nline 2\n",
        headers={"content-type": "text/plain"},
    )
    assert uploaded.status_code == 201, uploaded.text
    attachment = uploaded.json()
    assert attachment["size"] == 14 and attachment["filename"] == ".._app log.txt"
    assert [a["id"] for a in (await api.get(f"{url}/attachments")).json()] == [attachment["id"]]
    content = await api.get(f"{url}/attachments/{attachment['id']}/content")
    assert content.content == b"line 1\nline 2\n"
    assert content.headers["content-type"].startswith("text/plain")
    assert (await other_api.get(f"{url}/attachments")).status_code == 404
    added = await event_capture.wait_for("crm.support.ticket.attachment_added.v1")
    assert added["data"]["attachment_id"] == attachment["id"] and added["data"]["size"] == 14
    stray = await api.post(
        f"{url}/attachments", params={"filename": "x", "message_id": str(uuid4())}, content=b"x"
    )
    assert stray.status_code == 422


async def test_tickets_are_searched_by_filter_groups_and_bad_searches_are_422(
    api: httpx.AsyncClient,
) -> None:
    for subject, priority, tags in (("A", "urgent", ["vip"]), ("B", "low", []),
                                    ("C", "high", ["vip", "db"])):  # fmt: skip
        await api.post("/v1/tickets", json={"subject": subject, "priority": priority,
                                            "tags": tags})  # fmt: skip
    body = {
        "filter_groups": [
            {"filters": [{"field": "priority", "operator": "in", "value": ["urgent", "high"]},
                         {"field": "tags", "operator": "contains", "value": "db"}]},
            {"filters": [{"field": "priority", "operator": "eq", "value": "low"}]},
        ],
        "sort": "number",
    }  # fmt: skip
    found = await api.post("/v1/tickets/search", json=body)
    assert found.status_code == 200, found.text
    assert [t["subject"] for t in found.json()["data"]] == ["B", "C"]
    bad = {"filter_groups": [{"filters": [{"field": "nope", "operator": "eq", "value": 1}]}]}
    refused = await api.post("/v1/tickets/search", json=bad)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"].startswith(
        "filter_groups[0]"
    )
