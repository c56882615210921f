from __future__ import annotations

from uuid import UUID

from crm_chassis.repository import TenantRepository
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sales_service.tasks.models import CalendarFeed, Task, TaskRule


class TaskRepository(TenantRepository[Task]):
    model = Task
    label = "task"
    sortable = {"created_at": Task.created_at, "due_at": Task.due_at}

    async def of_owner(self, owner_id: UUID, limit: int = 1000) -> list[Task]:
        stmt = self.select().where(Task.owner_id == owner_id, Task.due_at.is_not(None))
        return await self.list(stmt.order_by(Task.due_at).limit(limit))


class TaskRuleRepository(TenantRepository[TaskRule]):
    model = TaskRule
    label = "task rule"

    async def active(self, trigger: str) -> list[TaskRule]:
        stmt = self.select().where(TaskRule.active, TaskRule.trigger == trigger)
        return await self.list(stmt.order_by(TaskRule.created_at, TaskRule.id))


class CalendarFeeds:
    """Feeds by their secret: the one lookup made before the tenant is known (the
    secret is the user's); and the caller's own feed."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_secret(self, secret: str) -> CalendarFeed | None:
        stmt = select(CalendarFeed).where(CalendarFeed.secret == secret)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def of_user(self, tenant_id: UUID, user_id: UUID) -> CalendarFeed | None:
        stmt = select(CalendarFeed).where(
            CalendarFeed.tenant_id == tenant_id, CalendarFeed.user_id == user_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
