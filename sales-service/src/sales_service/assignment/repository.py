from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from crm_chassis.repository import TenantRepository

from sales_service.assignment.models import AssignmentQueue, AssignmentRule


class RuleRepository(TenantRepository[AssignmentRule]):
    model = AssignmentRule
    label = "assignment rule"
    sortable = {"created_at": AssignmentRule.created_at, "position": AssignmentRule.position}

    async def active_in_order(self) -> list[AssignmentRule]:
        stmt = (
            self.select()
            .where(AssignmentRule.active)
            .order_by(AssignmentRule.position, AssignmentRule.created_at)
        )
        return await self.list(stmt)


class QueueRepository(TenantRepository[AssignmentQueue]):
    model = AssignmentQueue
    label = "assignment queue"

    async def locked(self, ids: Sequence[UUID]) -> list[AssignmentQueue]:
        """The queues, locked: two leads assigned at once take consecutive turns."""
        if not ids:
            return []
        stmt = (
            self.select()
            .where(AssignmentQueue.id.in_(list(ids)))
            .order_by(AssignmentQueue.id)
            .with_for_update()
        )
        return await self.list(stmt)
