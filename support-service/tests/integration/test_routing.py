"""Routing (V2): round-robin, least load and skill match over a queue's available agents
with capacity, the reason recorded in the history and the assigned event."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
from crm_testing.events import EventCapture

from .helpers import created


async def agent(api: httpx.AsyncClient, name: str, queue: str, **kw: Any) -> dict[str, Any]:
    body = {"user_id": str(uuid4()), "name": name, "queue_ids": [queue], **kw}
    return await created(api, "/v1/agents", body)


async def ticket_in(api: httpx.AsyncClient, queue: str) -> dict[str, Any]:
    return await created(api, "/v1/tickets", {"subject": "Routed", "queue_id": queue})


async def test_round_robin_takes_turns_and_skips_the_unavailable_and_the_full(
    api: httpx.AsyncClient, event_capture: EventCapture
) -> None:
    queue = (await created(api, "/v1/queues", {"name": "L1"}))["id"]
    ann = await agent(api, "Ann", queue)
    bob = await agent(api, "Bob", queue)
    await agent(api, "Cid", queue, available=False)
    await agent(api, "Dee", queue, capacity=0)
    owners = [(await ticket_in(api, queue))["owner_id"] for _ in range(4)]
    assert owners == [ann["user_id"], bob["user_id"], ann["user_id"], bob["user_id"]]
    event = await event_capture.wait_for("crm.support.ticket.assigned.v1")
    assert event["data"]["reason"].startswith("round robin")


async def test_least_load_picks_the_agent_with_the_most_room(api: httpx.AsyncClient) -> None:
    queue = (await created(api, "/v1/queues", {"name": "L2", "strategy": "least_load"}))["id"]
    busy = await agent(api, "Busy", queue, capacity=10)
    for _ in range(3):
        await created(api, "/v1/tickets", {"subject": "old", "owner_id": busy["user_id"]})
    free = await agent(api, "Free", queue, capacity=10)
    ticket = await ticket_in(api, queue)
    assert ticket["owner_id"] == free["user_id"]
    history = (await api.get(f"/v1/tickets/{ticket['id']}/history")).json()
    (assigned,) = [e for e in history if e["kind"] == "assigned"]
    assert assigned["data"]["reason"] == "least load: 0/10 open"


async def test_skill_match_prefers_the_agent_with_the_queues_skills(
    api: httpx.AsyncClient,
) -> None:
    body = {"name": "DB", "strategy": "skill_match", "skills": ["postgres", "german"]}
    queue = (await created(api, "/v1/queues", body))["id"]
    await agent(api, "Generalist", queue, skills=["billing"])
    expert = await agent(api, "Expert", queue, skills=["postgres", "german"])
    ticket = await ticket_in(api, queue)
    assert ticket["owner_id"] == expert["user_id"]
    history = (await api.get(f"/v1/tickets/{ticket['id']}/history")).json()
    reason = next(e["data"]["reason"] for e in history if e["kind"] == "assigned")
    assert reason.startswith("skill match: 2 of 2 skills (german, postgres)")


async def test_a_queue_without_free_agents_leaves_the_ticket_unassigned_and_says_why(
    api: httpx.AsyncClient,
) -> None:
    queue = (await created(api, "/v1/queues", {"name": "Empty"}))["id"]
    ticket = await ticket_in(api, queue)
    assert ticket["owner_id"] is None
    routed = await api.post(f"/v1/tickets/{ticket['id']}/assign", json={})
    assert routed.status_code == 200 and routed.json()["owner_id"] is None
    history = (await api.get(f"/v1/tickets/{ticket['id']}/history")).json()
    reasons = [e["data"]["reason"] for e in history if e["kind"] == "assigned"]
    assert reasons == ["no available agent with free capacity"] * 2
