"""Knowledge base, the self-service portal and CSAT surveys (V7, V8)."""

from __future__ import annotations

from uuid import uuid4

import httpx
from crm_testing.events import EventCapture

from .helpers import created


async def article(api: httpx.AsyncClient, title: str, body: str, publish: bool = True) -> dict:
    draft = await created(api, "/v1/articles", {"draft_title": title, "draft_body": body,
                                                 "category": "howto"})  # fmt: skip
    if publish:
        published = await api.post(f"/v1/articles/{draft['id']}/publish")
        assert published.status_code == 200, published.text
        return published.json()
    return draft


async def test_articles_are_drafted_published_with_versions_and_searched_by_rank(
    api: httpx.AsyncClient, event_capture: EventCapture
) -> None:
    printer = await article(api, "Resetting the printer", "Hold the reset button of printers.")
    await article(api, "Billing cycles", "Invoices are sent monthly; printer paper is extra.")
    await article(api, "Printer secrets", "Draft only: printers printing printed.", publish=False)
    hits = (await api.get("/v1/articles/search", params={"q": "printer reset"})).json()
    assert [h["id"] for h in hits] == [printer["id"]]
    ranked = (await api.get("/v1/articles/search", params={"q": "printer"})).json()
    assert [h["title"] for h in ranked] == ["Resetting the printer", "Billing cycles"]
    assert ranked[0]["rank"] > ranked[1]["rank"]
    url = f"/v1/articles/{printer['id']}"
    await api.patch(url, json={"draft_body": "Unplug it for ten seconds."})
    assert (await api.get(url)).json()["body"] == "Hold the reset button of printers."
    republished = (await api.post(f"{url}/publish")).json()
    assert republished["published_version"] == 2
    versions = (await api.get(f"{url}/versions")).json()
    assert [v["body"] for v in versions] == [
        "Hold the reset button of printers.", "Unplug it for ten seconds."]  # fmt: skip
    assert (await api.patch(url, json={"status": "archived"})).status_code == 200
    assert (await api.get("/v1/articles/search", params={"q": "unplug"})).json() == []
    assert (await api.patch(url, json={"status": "published"})).status_code == 409
    await event_capture.wait_for("crm.support.article.published.v1")


async def test_the_portal_shows_a_requester_only_their_own_tickets(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    ada, bob = uuid4(), uuid4()
    tokens = {}
    for who in (ada, bob):
        response = await api.post("/v1/portal/tokens", json={"requester_id": str(who)})
        assert response.status_code == 201
        tokens[who] = {"X-Portal-Token": response.json()["token"]}
    body = {"subject": "Login fails", "description": "Since today."}
    submitted = await api.post("/v1/portal/tickets", headers=tokens[ada], json=body)
    assert submitted.status_code == 201, submitted.text
    ticket = submitted.json()
    assert ticket["status"] == "new" and ticket["channel"] == "portal"
    agent_view = (await api.get(f"/v1/tickets/{ticket['id']}")).json()
    assert agent_view["requester_id"] == str(ada)
    await api.post(f"/v1/tickets/{ticket['id']}/messages", json={"body": "Secret", "public": False})
    await api.post(f"/v1/tickets/{ticket['id']}/messages", json={"body": "Try again now"})
    mine = (await api.get(f"/v1/portal/tickets/{ticket['id']}", headers=tokens[ada])).json()
    assert [m["body"] for m in mine["messages"]] == ["Since today.", "Try again now"]
    assert "owner_id" not in mine and mine["status"] == "open"
    reply = await api.post(f"/v1/portal/tickets/{ticket['id']}/messages", headers=tokens[ada],
                           json={"body": "Works, thanks"})  # fmt: skip
    assert reply.status_code == 201
    assert [t["id"] for t in (await api.get("/v1/portal/tickets", headers=tokens[ada])).json()] == [
        ticket["id"]]  # fmt: skip
    assert (await api.get("/v1/portal/tickets", headers=tokens[bob])).json() == []
    for path in ("", "/messages"):
        theirs = f"/v1/portal/tickets/{ticket['id']}{path}"
        method = api.get if not path else api.post
        kwargs = {} if not path else {"json": {"body": "x"}}
        assert (await method(theirs, headers=tokens[bob], **kwargs)).status_code == 404
    assert (await api.get("/v1/portal/tickets")).status_code == 401
    forged = {"X-Portal-Token": tokens[ada]["X-Portal-Token"][:-3] + "abc"}
    assert (await api.get("/v1/portal/tickets", headers=forged)).status_code == 401
    assert (
        await api.get("/v1/portal/tickets", headers={"X-Portal-Token": "junk"})
    ).status_code == 401


async def test_portal_search_finds_published_articles_only(api: httpx.AsyncClient) -> None:
    await article(api, "VPN setup", "Install the VPN client.")
    await article(api, "VPN internals", "Not for customers yet.", publish=False)
    token = (await api.post("/v1/portal/tokens", json={"requester_email": "a@b.c"})).json()
    hits = (await api.get("/v1/portal/articles", params={"q": "vpn"},
                          headers={"X-Portal-Token": token["token"]})).json()  # fmt: skip
    assert [h["title"] for h in hits] == ["VPN setup"]


async def test_a_solved_ticket_asks_for_csat_once_through_a_signed_link(
    api: httpx.AsyncClient, anonymous: httpx.AsyncClient, event_capture: EventCapture
) -> None:
    ticket = await created(api, "/v1/tickets", {"subject": "Slow", "requester_id": str(uuid4())})
    await api.patch(f"/v1/tickets/{ticket['id']}", json={"status": "solved"})
    requested = await event_capture.wait_for("crm.support.survey.requested.v1")
    path = requested["data"]["path"]
    page = await anonymous.get(path)
    assert page.status_code == 200 and page.json()["ticket_subject"] == "Slow"
    assert (await anonymous.post(path, json={"rating": 6})).status_code == 422
    answered = await anonymous.post(path, json={"rating": 4, "nps": 9, "comment": "Quick"})
    assert answered.status_code == 200 and answered.json()["survey"]["rating"] == 4
    assert (await anonymous.post(path, json={"rating": 1})).status_code == 409
    event = await event_capture.wait_for("crm.support.survey.answered.v1")
    assert event["data"]["rating"] == 4 and event["data"]["nps"] == 9
    assert (await anonymous.get(path[:-2] + "xx")).status_code == 401
    # solving again after a reopen asks no second time
    await api.patch(f"/v1/tickets/{ticket['id']}", json={"status": "open"})
    await api.patch(f"/v1/tickets/{ticket['id']}", json={"status": "solved"})
    assert len(event_capture.of_type("crm.support.survey.requested.v1")) == 1
