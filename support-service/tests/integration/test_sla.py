"""The SLA clock of stored tickets: explained, re-timed on change, and breached on time
by the job runner (real PostgreSQL and NATS)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import httpx
from crm_chassis.jobs import JobRunner
from crm_chassis.tables import jobs
from crm_testing.events import EventCapture
from fastapi import FastAPI
from sqlalchemy import select
from support_service.sla.jobs import job_handlers

from .helpers import metric, office_calendar, standard_policy

ROUND_THE_CLOCK = {"business_hours": False}


async def sla_of(api: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await api.get(f"{url}/sla")
    assert response.status_code == 200, response.text
    return response.json()


async def pending_jobs(app: FastAPI, ticket_id: str) -> dict[str, datetime]:
    async with app.state.sessions() as session:
        rows = await session.execute(
            select(jobs.c.dedupe_key, jobs.c.due_at).where(
                jobs.c.dedupe_key.contains(ticket_id), jobs.c.done_at.is_(None)
            )
        )
        return {key.split(":")[0] + ":" + key.split(":")[-1]: due for key, due in rows}


def runner(app: FastAPI) -> JobRunner:
    return JobRunner(app.state.sessions, job_handlers())


async def test_the_explanation_adds_up_for_every_metric(api: httpx.AsyncClient) -> None:
    calendar = await office_calendar(api)
    await standard_policy(api, calendar["id"])
    url = (await api.post("/v1/tickets", json={"subject": "Help"})).headers["location"]
    sla = await sla_of(api, url)
    assert {m["metric"] for m in sla["sla"]} == {"first_reply", "resolution"}
    for m in sla["sla"]:
        assert m["state"] in ("active", "paused") and m["clock"] == "Office"
        assert Decimal(m["elapsed_seconds"]) + Decimal(m["remaining_seconds"]) == Decimal(
            m["target_seconds"]
        )
    assert metric(sla, "first_reply")["target_seconds"] == "14400.000000"


async def test_a_breach_event_is_emitted_on_time_for_a_ticket_nobody_answered(
    api: httpx.AsyncClient, support_app: FastAPI, event_capture: EventCapture
) -> None:
    policy = await standard_policy(
        api, None, escalation={"raise_priority": True, "notify": ["lead"]}
    )
    ticket = (await api.post("/v1/tickets", json={"subject": "Nobody home"})).json()
    url = f"/v1/tickets/{ticket['id']}"
    first = metric(await sla_of(api, url), "first_reply")
    due = datetime.fromisoformat(first["due_at"])
    timers = await pending_jobs(support_app, ticket["id"])
    assert timers["support.sla.breach:first_reply"] == due
    assert timers["support.sla.warning:first_reply"] == datetime.fromisoformat(first["warn_at"])

    assert await runner(support_app).run_due(due - timedelta(hours=1) - timedelta(seconds=1)) == 0
    assert await runner(support_app).run_due(due - timedelta(seconds=1)) == 1  # the warning
    warning = await event_capture.wait_for("crm.support.ticket.sla_warning.v1")
    assert warning["data"]["metric"]["metric"] == "first_reply"
    assert not event_capture.of_type("crm.support.ticket.sla_breached.v1")

    assert await runner(support_app).run_due(due) >= 1
    breach = await event_capture.wait_for("crm.support.ticket.sla_breached.v1")
    assert breach["subject"] == ticket["id"]
    assert breach["data"]["metric"]["policy_id"] == policy["id"]
    assert breach["data"]["metric"]["elapsed_seconds"] == breach["data"]["metric"]["target_seconds"]
    assert breach["data"]["actions"] == ["priority_raised", "notified"]
    escalated = (await api.get(url)).json()
    assert escalated["priority"] == "high"
    # The raised priority re-matched: a new first-reply target from the breach on, the
    # breached measurement kept in the history.
    first = metric(await sla_of(api, url), "first_reply")
    assert first["target_seconds"] == "7200.000000" and first["state"] == "active"
    assert [m["state"] for m in first["history"]] == ["breached"]


async def test_a_reply_before_the_due_time_cancels_the_breach(
    api: httpx.AsyncClient, support_app: FastAPI, event_capture: EventCapture
) -> None:
    await standard_policy(api, None)
    ticket = (await api.post("/v1/tickets", json={"subject": "Quick one"})).json()
    url = f"/v1/tickets/{ticket['id']}"
    due = datetime.fromisoformat(metric(await sla_of(api, url), "first_reply")["due_at"])
    reply = await api.post(f"{url}/messages", json={"body": "On it"})
    assert reply.status_code == 201
    timers = await pending_jobs(support_app, ticket["id"])
    assert "support.sla.breach:first_reply" not in timers
    assert "support.sla.breach:resolution" in timers
    assert await runner(support_app).run_due(due + timedelta(minutes=1)) >= 0
    await api.post("/v1/tickets", json={"subject": "marker"})  # an event after any breach
    await event_capture.wait_for("crm.support.ticket.created.v1",
                                 predicate=lambda e: e["subject"] != ticket["id"])  # fmt: skip
    assert not [
        e for e in event_capture.of_type("crm.support.ticket.sla_breached.v1")
        if e["data"]["metric"]["metric"] == "first_reply"
    ]  # fmt: skip
    assert metric(await sla_of(api, url), "first_reply")["state"] == "fulfilled"


async def test_pending_pauses_resolution_and_moves_its_breach_job(
    api: httpx.AsyncClient, support_app: FastAPI
) -> None:
    await standard_policy(api, None)
    ticket = (await api.post("/v1/tickets", json={"subject": "Waiting"})).json()
    url = f"/v1/tickets/{ticket['id']}"
    await api.post(f"{url}/messages", json={"body": "Need a log", "status": "pending"})
    resolution = metric(await sla_of(api, url), "resolution")
    assert resolution["state"] == "paused" and resolution["due_at"] is None
    assert resolution["pauses"][0]["status"] == "pending"
    assert "support.sla.breach:resolution" not in await pending_jobs(support_app, ticket["id"])
    await api.patch(url, json={"status": "open"})
    assert "support.sla.breach:resolution" in await pending_jobs(support_app, ticket["id"])


async def test_a_calendar_change_recomputes_the_clocks_on_it(
    api: httpx.AsyncClient, support_app: FastAPI
) -> None:
    calendar = await office_calendar(api)
    await standard_policy(api, calendar["id"])
    ticket = (await api.post("/v1/tickets", json={"subject": "Timed"})).json()
    url = f"/v1/tickets/{ticket['id']}"
    before = datetime.fromisoformat(metric(await sla_of(api, url), "first_reply")["due_at"])
    every_day = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    changed = await api.patch(f"/v1/calendars/{calendar['id']}", json={"hours": every_day})
    assert changed.status_code == 200, changed.text
    first = metric(await sla_of(api, url), "first_reply")
    after = datetime.fromisoformat(first["due_at"])
    started = datetime.fromisoformat(first["started_at"])
    assert after == started + timedelta(hours=4) and after <= before
    timers = await pending_jobs(support_app, ticket["id"])
    assert timers["support.sla.breach:first_reply"] == after


async def test_bad_calendars_and_policies_are_422(api: httpx.AsyncClient) -> None:
    monday = {"mon": [["09:00", "17:00"]]}
    bad_zone = {"name": "x", "time_zone": "Mars/Base", "hours": monday}
    assert (await api.post("/v1/calendars", json=bad_zone)).status_code == 422
    backwards = {"name": "x", "time_zone": "UTC", "hours": {"mon": [["17:00", "09:00"]]}}
    assert (await api.post("/v1/calendars", json=backwards)).status_code == 422
    zero = [{"metric": "first_reply", "priority": "normal", "minutes": 0}]
    refused = await api.post("/v1/sla-policies", json={"name": "x", "targets": zero})
    assert refused.status_code == 422


async def test_an_ola_times_the_second_line_from_the_handover_to_its_note(
    api: httpx.AsyncClient,
) -> None:
    calendar = await office_calendar(api)
    second = (await api.post("/v1/queues", json={"name": "Second line"})).json()
    target = {"metric": "first_reply", "priority": "normal", "minutes": 240}
    ola = {"name": "L2 answers L1", "kind": "ola", "calendar_id": calendar["id"],
           "conditions": {"queue_id": [second["id"]]}, "targets": [target]}  # fmt: skip
    assert (await api.post("/v1/sla-policies", json=ola)).status_code == 201
    url = (await api.post("/v1/tickets", json={"subject": "Deep bug"})).headers["location"]
    assert (await sla_of(api, url))["ola"] == []
    moved = await api.patch(url, json={"queue_id": second["id"]})
    assert moved.status_code == 200
    first = metric(await sla_of(api, url), "first_reply", "ola")
    assert first["state"] in ("active", "paused") and first["target_seconds"] == "14400.000000"
    await api.post(f"{url}/messages", json={"body": "Found it", "public": False})
    assert metric(await sla_of(api, url), "first_reply", "ola")["state"] == "fulfilled"
    # the customer's first reply is still owed: a note is no reply to them
    assert (await sla_of(api, url))["sla"] == []  # no SLA policy here


async def test_raising_the_priority_rematches_and_a_queues_calendar_times_the_policy(
    api: httpx.AsyncClient,
) -> None:
    calendar = await office_calendar(api, name="Queue hours")
    queue = await api.post("/v1/queues", json={"name": "L1", "calendar_id": calendar["id"]})
    await standard_policy(api, None)  # no calendar of its own: the queue's applies
    body = {"subject": "Slow", "queue_id": queue.json()["id"]}
    url = (await api.post("/v1/tickets", json=body)).headers["location"]
    first = metric(await sla_of(api, url), "first_reply")
    assert first["clock"] == "Queue hours" and first["target_seconds"] == "14400.000000"
    assert (await api.patch(url, json={"priority": "urgent"})).status_code == 200
    first = metric(await sla_of(api, url), "first_reply")
    assert first["target_seconds"] == "3600.000000"
    assert [m["ended_by"] for m in first["history"]] == ["retargeted"]
    history = (await api.get(f"{url}/history")).json()
    assert [e["data"]["to"] for e in history if e["kind"] == "priority"] == ["urgent"]


async def test_each_configuration_resource_reads_back_what_was_written(
    api: httpx.AsyncClient,
) -> None:
    calendar = await office_calendar(api, holidays=["2026-12-24"])
    policy = await standard_policy(api, calendar["id"], warn_share=0.8)
    queue = (await api.post("/v1/queues", json={"name": "Q"})).json()
    for path, body in ((f"/v1/calendars/{calendar['id']}", calendar),
                       (f"/v1/sla-policies/{policy['id']}", policy),
                       (f"/v1/queues/{queue['id']}", queue)):  # fmt: skip
        read = await api.get(path)
        assert read.status_code == 200, read.text
        assert read.json() == body
    assert policy["warn_share"] == 0.8 and calendar["holidays"] == ["2026-12-24"]
    for path in ("/v1/calendars", "/v1/sla-policies", "/v1/queues", "/v1/agents"):
        assert (await api.get(f"{path}/{uuid4()}")).status_code == 404
