"""Timed ticket work by the job runner: a quiet solved ticket closes; a breach reassigns
to the policy's escalation queue and routes it there."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

import httpx
from crm_chassis.jobs import JobRunner
from crm_testing.events import EventCapture
from fastapi import FastAPI
from support_service.sla.jobs import job_handlers

from .helpers import created, metric, standard_policy


def runner(app: FastAPI) -> JobRunner:
    return JobRunner(app.state.sessions, job_handlers())


async def test_a_solved_ticket_closes_after_the_quiet_period_and_a_reopened_one_does_not(
    api: httpx.AsyncClient, support_app: FastAPI
) -> None:
    quiet = support_app.state.settings.close_after
    first = await created(api, "/v1/tickets", {"subject": "Done"})
    second = await created(api, "/v1/tickets", {"subject": "Back again"})
    solved = (await api.patch(f"/v1/tickets/{first['id']}", json={"status": "solved"})).json()
    await api.patch(f"/v1/tickets/{second['id']}", json={"status": "solved"})
    await api.patch(f"/v1/tickets/{second['id']}", json={"status": "open"})
    closes_at = datetime.fromisoformat(solved["solved_at"]) + quiet
    await runner(support_app).run_due(closes_at - timedelta(minutes=1))
    assert (await api.get(f"/v1/tickets/{first['id']}")).json()["status"] == "solved"
    await runner(support_app).run_due(closes_at + timedelta(seconds=1))
    closed = (await api.get(f"/v1/tickets/{first['id']}")).json()
    assert closed["status"] == "closed" and closed["closed_at"] is not None
    assert (await api.get(f"/v1/tickets/{second['id']}")).json()["status"] == "open"


async def test_a_breach_reassigns_to_the_escalation_queue_and_routes_there(
    api: httpx.AsyncClient, support_app: FastAPI, event_capture: EventCapture
) -> None:
    escalations = await created(api, "/v1/queues", {"name": "Escalations"})
    lead = await created(
        api,
        "/v1/agents",
        {"user_id": str(uuid4()), "name": "Lead", "queue_ids": [escalations["id"]]},
    )
    await standard_policy(api, None, escalation={"reassign_queue_id": escalations["id"]})
    ticket = await created(api, "/v1/tickets", {"subject": "Stuck"})
    url = f"/v1/tickets/{ticket['id']}"
    due = datetime.fromisoformat(
        metric((await api.get(f"{url}/sla")).json(), "first_reply")["due_at"]
    )
    await runner(support_app).run_due(due)
    breach = await event_capture.wait_for("crm.support.ticket.sla_breached.v1")
    assert breach["data"]["actions"] == ["reassigned"]
    moved = (await api.get(url)).json()
    assert moved["queue_id"] == escalations["id"] and moved["owner_id"] == lead["user_id"]
    history = (await api.get(f"{url}/history")).json()
    assert [e["kind"] for e in history if e["kind"] in ("queue_id", "assigned", "breached")] == [
        "queue_id",
        "assigned",
        "breached",
    ]
