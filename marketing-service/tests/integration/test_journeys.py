"""Journeys (M4): per-contact steps from a trigger, no double enrollment, versions, pause,
and a wait that resumes after the service restarts."""

import re
from datetime import timedelta
from urllib.parse import urlsplit
from uuid import uuid4

import nats
import pytest
from crm_chassis.orm import utcnow
from crm_testing.service import bearer, client, eventually, running
from marketing_service.main import create_app
from marketing_service.settings import MarketingSettings

from .helpers import contact_event, snapshot

WELCOME = {
    "type": "send_email",
    "subject": "Welcome {{ contact.first_name }}",
    "text": "Hello {{ contact.first_name | default('there') }}",
}


async def journey(api, segment_id: str, steps: dict, start: str, **extra) -> str:
    body = {
        "name": "Onboarding",
        "trigger": {"type": "segment_entered", "segment_id": segment_id},
        "definition": {"start": start, "steps": steps},
        **extra,
    }
    created = await api.post("/v1/journeys", json=body)
    assert created.status_code == 201, created.text
    journey_id = created.json()["id"]
    published = await api.post(f"/v1/journeys/{journey_id}/publish")
    assert published.status_code == 200 and published.json()["status"] == "active"
    return journey_id


async def enrollments(api, journey_id: str) -> list[dict]:
    return (await api.get(f"/v1/journeys/{journey_id}/enrollments")).json()["data"]


async def test_a_contact_entering_a_segment_runs_the_journey_once(
    api, anonymous, tenant, publish, smtp_sink, event_capture
):
    rule = {"field": "lifecycle_stage", "op": "eq", "value": "lead"}
    segment_id = (await api.post("/v1/segments", json={"name": "Leads", "rule": rule})).json()["id"]
    steps = {
        "tag": {"type": "add_tag", "tag": "onboarding", "next": "score"},
        "score": {"type": "change_score", "points": 10, "reason": "joined", "next": "check"},
        "check": {
            "type": "condition",
            "rule": {"field": "score", "op": "gte", "value": 10},
            "then": "mail",
            "else": None,
        },
        "mail": {**WELCOME, "html": "<p>Hi</p>", "next": "task"},
        "task": {"type": "create_task", "title": "Call the new lead", "task_type": "call"},
    }
    journey_id = await journey(api, segment_id, steps, "tag")
    lead = snapshot(lifecycle_stage="lead", first_name="Ada")
    await publish(contact_event(tenant, lead))
    [message] = await smtp_sink.wait_for(1, timeout=15)
    assert message["Subject"] == "Welcome Ada" and str(message["To"]) == lead.email
    pixel = re.search(r'<img src="([^"]+)"', message.get_body(("html",)).get_content()).group(1)
    for _ in range(2):  # opened twice, counted once
        assert (await anonymous.get(urlsplit(pixel).path)).status_code == 200

    async def completed() -> None:
        rows = await enrollments(api, journey_id)
        assert len(rows) == 1 and rows[0]["status"] == "completed", rows

    await eventually(completed)
    task = await event_capture.wait_for("crm.marketing.task.requested.v1")
    assert task["data"]["contact_id"] == str(lead.id) and task["data"]["type"] == "call"
    tag = await event_capture.wait_for("crm.marketing.contact.tag_requested.v1")
    assert tag["data"]["tag"] == "onboarding"
    score = (await api.get(f"/v1/contacts/{lead.id}/score")).json()
    assert score["score"] == 10 and score["contributions"][0]["kind"] == "adjustment"
    # Leaving and entering again: no second run (the journey does not allow re-entry).
    for version, stage in ((2, "customer"), (3, "lead")):
        changed = lead.model_copy(update={"lifecycle_stage": stage, "version": version})
        await publish(contact_event(tenant, changed))
        await event_capture.wait_for(
            "crm.marketing.segment." + ("left" if stage == "customer" else "entered"),
            predicate=lambda e: (
                e["data"]["contact_id"] == str(lead.id) and e["data"]["segment_id"] == segment_id
            ),
        )
    assert len(await enrollments(api, journey_id)) == 1
    assert len(smtp_sink.messages) == 1
    touches = (await api.get(f"/v1/contacts/{lead.id}/touchpoints")).json()["data"]
    assert sorted(t["kind"] for t in touches) == ["email_opened", "email_sent"]


async def test_a_new_version_and_a_pause_leave_contacts_in_their_own_version(api, tenant, publish):
    segment_id = (
        await api.post("/v1/segments", json={"name": "All", "rule": {"tag": "j"}})
    ).json()["id"]
    steps = {"wait": {"type": "wait", "seconds": 3600, "next": "mail"}, "mail": WELCOME}
    journey_id = await journey(api, segment_id, steps, "wait")
    first = snapshot(tags=["j"])
    await publish(contact_event(tenant, first))

    async def waiting(n: int):
        async def check() -> list[dict]:
            rows = await enrollments(api, journey_id)
            assert len(rows) == n and all(r["wake_at"] for r in rows), rows
            return rows

        return await eventually(check)

    await waiting(1)
    url = f"/v1/journeys/{journey_id}"
    patched = await api.patch(
        url, json={"definition": {"start": "mail", "steps": {"mail": WELCOME}}}
    )
    assert patched.status_code == 200, patched.text
    assert (await api.post(f"{url}/publish")).json()["published_version"] == 2
    second = snapshot(tags=["j"])
    await publish(contact_event(tenant, second))

    async def both() -> None:
        rows = {r["contact_id"]: r for r in await enrollments(api, journey_id)}
        assert set(rows) == {str(first.id), str(second.id)}
        assert rows[str(first.id)]["version"] == 1 and rows[str(first.id)]["status"] == "active"
        assert (
            rows[str(second.id)]["version"] == 2 and rows[str(second.id)]["status"] == "completed"
        )

    await eventually(both)
    assert (await api.post(f"{url}/pause")).json()["status"] == "paused"
    assert (await api.post(f"{url}/pause")).status_code == 409
    assert (await api.post(f"{url}/resume")).json()["status"] == "active"
    bad = {
        "name": "x",
        "trigger": {"type": "segment_entered", "segment_id": segment_id},
        "definition": {"start": "a", "steps": {"a": {"type": "wait", "seconds": 5, "next": "zz"}}},
    }
    assert (await api.post("/v1/journeys", json=bad)).status_code == 422


async def test_a_date_trigger_enrolls_the_contacts_whose_date_comes_round(
    api, tenant, publish, projected, smtp_sink
):
    soon = (utcnow() + timedelta(days=3)).date().isoformat()
    later = (utcnow() + timedelta(days=4)).date().isoformat()
    due, not_yet = snapshot(custom={"renewal": soon}), snapshot(custom={"renewal": later})
    odd = snapshot(custom={"renewal": "soon-ish"})
    for c in (due, not_yet, odd):
        await publish(contact_event(tenant, c))
        await projected(c.id)
    body = {
        "name": "Renewal",
        "trigger": {"type": "date", "field": "custom.renewal", "offset_days": 3},
        "definition": {"start": "mail", "steps": {"mail": WELCOME}},
    }
    journey_id = (await api.post("/v1/journeys", json=body)).json()["id"]
    assert (await api.post(f"/v1/journeys/{journey_id}/publish")).status_code == 200
    [message] = await smtp_sink.wait_for(1, timeout=15)
    assert str(message["To"]) == due.email

    async def one() -> None:
        rows = await enrollments(api, journey_id)
        assert [r["contact_id"] for r in rows] == [str(due.id)], rows

    await eventually(one)


@pytest.fixture
async def own_stack(service_database, nats_factory, smtp_port):
    url = await service_database.acreate("marketing_journey_restart", section="marketing")
    return MarketingSettings(
        database_url=url, nats_url=nats_factory().url, smtp_host="127.0.0.1", smtp_port=smtp_port
    )


async def test_a_journey_waiting_when_the_service_stops_resumes_after_it_restarts(
    own_stack, smtp_sink
):
    settings, tenant = own_stack, uuid4()
    contact = snapshot(tags=["restart"], first_name="Grace")
    async with running(create_app(settings)) as app, client(app, **bearer(settings, tenant)) as api:
        rule = {"tag": "restart"}
        segment_id = (await api.post("/v1/segments", json={"name": "R", "rule": rule})).json()["id"]
        steps = {"wait": {"type": "wait", "seconds": 2, "next": "mail"}, "mail": WELCOME}
        journey_id = await journey(api, segment_id, steps, "wait")
        nc = await nats.connect(settings.nats_url)
        event = contact_event(tenant, contact)
        await nc.jetstream().publish(
            event.type.rsplit(".", 1)[0], event.model_dump_json(exclude_none=True).encode()
        )
        await nc.close()

        async def waiting() -> None:
            rows = await enrollments(api, journey_id)
            assert len(rows) == 1 and rows[0]["wake_at"] is not None, rows

        await eventually(waiting)
    assert smtp_sink.messages == []  # stopped before the wait ended
    async with running(create_app(settings)) as app, client(app, **bearer(settings, tenant)) as api:
        [message] = await smtp_sink.wait_for(1, timeout=15)
        assert message["Subject"] == "Welcome Grace"

        async def completed() -> None:
            rows = await enrollments(api, journey_id)
            assert len(rows) == 1 and rows[0]["status"] == "completed", rows

        await eventually(completed)
