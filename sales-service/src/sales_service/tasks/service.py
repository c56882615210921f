"""Task use cases (S10): tasks with reminders (chassis jobs), automation on new deals,
and each user's iCalendar feed behind a secret URL."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from uuid import UUID

from crm_chassis import jobs
from crm_chassis.auth import Actor
from crm_chassis.crud import Call, Crud, View, load_for_update
from crm_chassis.errors import Conflict, NotFound
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_proto.events import sales
from icalendar import Calendar, Event
from sqlalchemy.ext.asyncio import AsyncSession

from sales_service.common.events import SOURCE, lifecycle_events
from sales_service.deals.models import Deal
from sales_service.tasks.automation import CreateTask, EmitNurture, TaskRuleBody, decide
from sales_service.tasks.events import EVENTS
from sales_service.tasks.models import CalendarFeed, Task
from sales_service.tasks.repository import CalendarFeeds, TaskRepository, TaskRuleRepository
from sales_service.tasks.schemas import TaskRead, TaskRuleRead, TaskRuleWrite, TaskWrite

REMINDER_JOB = "sales.task.reminder"


def _reminder_key(task_id: UUID) -> str:
    return f"task-reminder:{task_id}"


async def _schedule_reminder(session: AsyncSession, task: Task) -> None:
    key = _reminder_key(task.id)
    if task.remind_at is None or task.completed_at is not None:
        await jobs.cancel(session, tenant_id=task.tenant_id, dedupe_key=key)
        return
    await jobs.schedule(
        session,
        kind=REMINDER_JOB,
        due_at=task.remind_at,
        payload={"task_id": str(task.id)},
        tenant_id=task.tenant_id,
        dedupe_key=key,
        replace=True,
    )


class Tasks(Crud[Task]):
    async def create(self, call: Call, data: Any) -> Task:
        if data.owner_id is None:  # a task is its creator's unless given to someone
            data = data.model_copy(update={"owner_id": call.actor.user_id})
        task = await super().create(call, data)
        await _schedule_reminder(call.session, task)
        return task

    async def check_patch(self, call: Call, entity: Any, model: Any, changed: list[str]) -> None:
        if entity.completed_at is not None:
            raise Conflict("A completed task is not changed")

    async def patch(self, call: Call, id_: UUID, body: Any, if_match: str | None) -> Task:
        task = await super().patch(call, id_, body, if_match)
        await _schedule_reminder(call.session, task)
        return task

    async def before_delete(self, call: Call, entity: Any) -> None:
        await jobs.cancel(
            call.session, tenant_id=call.tenant_id, dedupe_key=_reminder_key(entity.id)
        )


TASKS = Tasks(TaskRepository, View("task", TaskRead, path="/v1/tasks"), TaskWrite, EVENTS)
TASK_RULES = Crud(
    TaskRuleRepository,
    View("task_rule", TaskRuleRead, path="/v1/task-rules"),
    TaskRuleWrite,
    lifecycle_events("task_rule"),
)


async def complete(call: Call, task_id: UUID, if_match: str | None) -> Task:
    task = await load_for_update(TaskRepository(call.session, call.actor), task_id, if_match)
    if task.completed_at is not None:
        raise Conflict("The task is completed already")
    task.completed_at = utcnow()
    await call.session.flush()
    await _schedule_reminder(call.session, task)
    await emit(call.session, EVENTS.completed(task, str(call.actor.user_id)))
    return task


async def reminder_job(session: AsyncSession, job: jobs.Job) -> None:
    assert job.tenant_id is not None
    repo = TaskRepository(session, Actor.system(job.tenant_id))
    task = await repo.get(UUID(job.payload["task_id"]), for_update=True)
    if task is None or task.completed_at is not None or task.reminded_at is not None:
        return
    task.reminded_at = utcnow()
    await session.flush()
    await emit(session, EVENTS.reminder_due(task))


def facts_of(deal: Deal) -> dict[str, Any]:
    return {
        "name": deal.name,
        "amount": deal.amount.amount if deal.amount else None,
        "currency": deal.amount.currency if deal.amount else None,
        "probability": deal.probability,
        "forecast_category": deal.forecast_category,
    }


async def on_deal_created(call: Call, deal: Deal) -> None:
    """Run the tenant's ``deal.created`` rules on a new deal (same transaction)."""
    for rule in await TaskRuleRepository(call.session, call.tenant_id).active("deal.created"):
        outcome = decide(TaskRuleBody.model_validate(rule.body), facts_of(deal))
        if isinstance(outcome.action, CreateTask):
            task = Task(
                tenant_id=call.tenant_id,
                type=outcome.action.task_type,
                title=outcome.action.title,
                deal_id=deal.id,
                contact_id=deal.contact_id,
                account_id=deal.account_id,
                owner_id=deal.owner_id,
                team_id=deal.team_id,
                due_at=utcnow() + timedelta(hours=outcome.action.due_in_hours),
                rule_id=rule.id,
            )
            await TaskRepository(call.session, call.tenant_id).add(task)
            await emit(call.session, EVENTS.created(task))
        elif isinstance(outcome.action, EmitNurture):
            data = sales.DealNurtureRequested(
                deal_id=deal.id,
                rule_id=rule.id,
                contact_id=deal.contact_id,
                account_id=deal.account_id,
                amount=deal.amount,
            )
            await emit(
                call.session,
                SOURCE.event(
                    "crm.sales.deal.nurture_requested.v1",
                    data,
                    tenant_id=call.tenant_id,
                    subject=deal.id,
                ),
            )


async def feed_of(call: Call) -> CalendarFeed:
    """The caller's calendar feed (made on first ask); its secret is its URL."""
    feeds = CalendarFeeds(call.session)
    feed = await feeds.of_user(call.tenant_id, call.actor.user_id)
    if feed is None:
        feed = CalendarFeed(
            secret=secrets.token_urlsafe(32), tenant_id=call.tenant_id, user_id=call.actor.user_id
        )
        call.session.add(feed)
        await call.session.flush()
    return feed


async def calendar(session: AsyncSession, secret: str) -> bytes:
    """The iCalendar of the feed's user's tasks (with a due time)."""
    feed = await CalendarFeeds(session).by_secret(secret)
    if feed is None:
        raise NotFound("No such calendar")
    tasks = await TaskRepository(session, Actor.system(feed.tenant_id)).of_owner(feed.user_id)
    cal = Calendar()
    cal.add("prodid", "-//CRM sales-service//tasks//EN")
    cal.add("version", "2.0")
    for task in tasks:
        assert task.due_at is not None
        event = Event()
        event.add("uid", f"{task.id}@crm")
        event.add("summary", f"{task.type}: {task.title}")
        event.add("dtstart", task.due_at)
        event.add("dtend", task.due_at + timedelta(minutes=task.duration_minutes or 30))
        event.add("dtstamp", task.updated_at)
        if task.description:
            event.add("description", task.description)
        if task.completed_at is not None:
            event.add("status", "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()
