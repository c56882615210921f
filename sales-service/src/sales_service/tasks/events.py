"""The events of tasks: created and updated/deleted of sales, completed of the activity
contract (the timeline shows it)."""

from __future__ import annotations

from crm_proto import CloudEvent
from crm_proto.events import activity, sales
from pydantic import BaseModel

from sales_service.common.events import about
from sales_service.tasks.models import Task


def _event(name: str, task: Task, data: BaseModel, sequence: int | None = None) -> CloudEvent:
    return about(f"crm.sales.task.{name}.v1", task, data, sequence=sequence)


class TaskEvents:
    """The lifecycle events of tasks, in the shape :class:`~crm_chassis.crud.Crud` uses."""

    def created(self, task: Task) -> CloudEvent:
        data = sales.TaskCreated(
            task_id=task.id,
            type=task.type,
            title=task.title,
            due_at=task.due_at,
            owner_id=task.owner_id,
            deal_id=task.deal_id,
            contact_id=task.contact_id,
            account_id=task.account_id,
            rule_id=task.rule_id,
        )
        return _event("created", task, data)

    def updated(self, task: Task, changed: list[str]) -> CloudEvent:
        snapshot = sales.TaskSnapshot.model_validate(task, from_attributes=True)
        return _event("updated", task, sales.TaskUpdated(task=snapshot, changed=changed))

    def deleted(self, task: Task) -> CloudEvent:
        return _event("deleted", task, sales.TaskDeleted(id=task.id), task.version + 1)

    def completed(self, task: Task, by: str) -> CloudEvent:
        assert task.completed_at is not None
        data = activity.TaskCompleted(
            task_id=task.id,
            title=task.title,
            type=task.type,
            completed_by=by,
            completed_at=task.completed_at,
            contact_id=task.contact_id,
            account_id=task.account_id,
        )
        return _event("completed", task, data)

    def reminder_due(self, task: Task) -> CloudEvent:
        data = sales.TaskReminderDue(
            task_id=task.id, owner_id=task.owner_id, title=task.title, due_at=task.due_at
        )
        return _event("reminder_due", task, data)


EVENTS = TaskEvents()
