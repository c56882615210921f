from collections.abc import Sequence
from uuid import UUID

from crm_chassis.repository import TenantRepository
from sqlalchemy import func, select

from support_service.routing.models import Agent, Queue


class QueueRepository(TenantRepository[Queue]):
    model = Queue
    label = "queue"
    sortable = {"created_at": Queue.created_at, "name": Queue.name}


class AgentRepository(TenantRepository[Agent]):
    model = Agent
    label = "agent"
    sortable = {"created_at": Agent.created_at, "name": Agent.name}

    async def candidates(self, queue_id: UUID) -> list[Agent]:
        """The queue's available agents, in a stable order (round-robin walks it)."""
        stmt = (
            self.select()
            .where(Agent.available.is_(True), Agent.queue_ids.contains([queue_id]))
            .order_by(Agent.created_at, Agent.id)
        )
        return await self.list(stmt)

    async def by_user(self, user_id: UUID) -> Agent | None:
        stmt = self.select().where(Agent.user_id == user_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def loads(self, user_ids: Sequence[UUID]) -> dict[UUID, int]:
        """Unsolved tickets assigned to each of ``user_ids``."""
        from support_service.tickets.models import Ticket

        if not user_ids:
            return {}
        stmt = (
            select(Ticket.owner_id, func.count())
            .where(
                Ticket.tenant_id == self.tenant_id,
                Ticket.owner_id.in_(list(user_ids)),
                Ticket.status.in_(["new", "open", "pending", "on-hold"]),
            )
            .group_by(Ticket.owner_id)
        )
        return dict((await self.session.execute(stmt)).all())
