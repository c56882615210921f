"""Tasks (S10): reminders as jobs, automation on new deals, the iCalendar feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_testing.service import eventually
from icalendar import Calendar
from sqlalchemy import text

from .helpers import STANDARD_STAGES, created, money, pipeline_with_stages


async def test_a_task_reminds_its_owner_once_and_completes(api, sales_app, event_capture):
    due = datetime.now(UTC) + timedelta(days=2)
    task = await created(
        api,
        "/v1/tasks",
        {
            "type": "call",
            "title": "Call Ada",
            "due_at": due.isoformat(),
            "remind_at": (due - timedelta(hours=1)).isoformat(),
        },
    )
    async with sales_app.state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE jobs SET due_at = now() WHERE dedupe_key = :k"),
            {"k": f"task-reminder:{task['id']}"},
        )

    async def reminded() -> None:
        assert (await api.get(f"/v1/tasks/{task['id']}")).json()["reminded_at"] is not None

    await eventually(reminded)
    await event_capture.wait_for("crm.sales.task.reminder_due.v1")
    done = await api.post(f"/v1/tasks/{task['id']}/complete")
    assert done.status_code == 200 and done.json()["completed_at"] is not None
    assert (await api.post(f"/v1/tasks/{task['id']}/complete")).status_code == 409
    event = await event_capture.wait_for("crm.sales.task.completed.v1")
    assert event["data"]["title"] == "Call Ada" and event["data"]["type"] == "call"
    naive = await api.post("/v1/tasks", json={"title": "x", "due_at": "2030-01-01T10:00:00"})
    assert naive.status_code == 422


async def test_a_big_deal_gets_a_call_task_and_a_small_one_goes_to_marketing(api, event_capture):
    await created(
        api,
        "/v1/task-rules",
        {
            "name": "big deals",
            "body": {
                "if": [{"field": "amount", "operator": "gt", "value": "500"}],
                "then": {"type": "create_task", "task_type": "call", "title": "Call the buyer"},
                "else": {"type": "request_nurture"},
            },
        },
    )
    pipeline = await pipeline_with_stages(api, *STANDARD_STAGES[:1])
    big = await created(
        api, "/v1/deals", {"name": "big", "pipeline_id": pipeline["id"], "amount": money("500.01")}
    )
    small = await created(
        api,
        "/v1/deals",
        {"name": "small", "pipeline_id": pipeline["id"], "amount": money("500.00")},
    )
    tasks = (await api.get("/v1/tasks")).json()["data"]
    assert [(t["deal_id"], t["type"], t["title"]) for t in tasks] == [
        (big["id"], "call", "Call the buyer")
    ]
    assert tasks[0]["owner_id"] == big["owner_id"]
    nurture = await event_capture.wait_for("crm.sales.deal.nurture_requested.v1")
    assert nurture["data"]["deal_id"] == small["id"]
    bad = await api.post("/v1/task-rules", json={"name": "x", "body": {"then": {"type": "exec"}}})
    assert bad.status_code == 422


async def test_a_users_tasks_are_an_ics_feed_behind_a_secret_url(api, anonymous, other_api):
    due = datetime(2030, 5, 1, 9, 30, tzinfo=UTC)
    await created(
        api,
        "/v1/tasks",
        {"type": "meeting", "title": "Demo", "due_at": due.isoformat(), "duration_minutes": 45},
    )
    feed = (await api.post("/v1/calendar-feeds")).json()["url"]
    assert (await api.post("/v1/calendar-feeds")).json()["url"] == feed
    response = await anonymous.get(feed)
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/calendar"
    )
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == "meeting: Demo"
    assert event.decoded("dtstart") == due and event.decoded("dtend") == due + timedelta(minutes=45)
    assert (await anonymous.get("/v1/calendar-feeds/not-a-secret.ics")).status_code == 404
    theirs = (await other_api.post("/v1/calendar-feeds")).json()["url"]
    assert theirs != feed
    assert Calendar.from_ical((await anonymous.get(theirs)).content).walk("VEVENT") == []
