from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.ids import new_id
from crm_chassis.repository import RowsRepository, TenantRepository
from sqlalchemy import Select, select, text
from sqlalchemy.dialects.postgresql import insert

from support_service.tickets.models import (
    UNSOLVED,
    UNSOLVED_SQL,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketMessage,
)


class TicketRepository(TenantRepository[Ticket]):
    model = Ticket
    label = "ticket"
    sortable = {
        "created_at": Ticket.created_at,
        "updated_at": Ticket.updated_at,
        "number": Ticket.number,
    }

    def filtered(self, filters: Any) -> Select[Any]:
        stmt = self.select()
        if filters.status:
            stmt = stmt.where(Ticket.status.in_(filters.status))
            if set(filters.status) <= set(UNSOLVED):
                # The partial indexes' own predicate, as a literal: a generic plan (what
                # a prepared statement runs after five executions) sees the statuses as
                # parameters and could otherwise not use them (it scanned the tenant).
                stmt = stmt.where(text(f"tickets.{UNSOLVED_SQL}"))
        for name in ("queue_id", "owner_id", "requester_id", "priority"):
            value = getattr(filters, name)
            if value is not None:
                stmt = stmt.where(getattr(Ticket, name) == value)
        return stmt

    async def next_number(self) -> int:
        stmt = (
            insert(TicketCounter)
            .values(tenant_id=self.tenant_id, last=1)
            .on_conflict_do_update(
                index_elements=[TicketCounter.tenant_id], set_={"last": TicketCounter.last + 1}
            )
            .returning(TicketCounter.last)
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def of_requester(self, requester_id: UUID) -> list[Ticket]:
        return await self.list(self.select().where(Ticket.requester_id == requester_id))


class TicketEventRepository(RowsRepository[TicketEvent]):
    model = TicketEvent

    def add(self, ticket: Ticket, kind: str, data: dict[str, Any], **kw: Any) -> TicketEvent:
        # The id now, not at flush: entries of one instant keep the order they were made in.
        event = TicketEvent(
            id=new_id(), tenant_id=self.tenant_id, ticket_id=ticket.id, kind=kind, data=data, **kw
        )
        self.session.add(event)
        return event

    async def of(self, ticket_id: UUID) -> list[TicketEvent]:
        stmt = (
            self.select()
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.at, TicketEvent.id)
        )
        return list((await self.session.execute(stmt)).scalars())


class TicketMessageRepository(RowsRepository[TicketMessage]):
    model = TicketMessage

    async def of(self, ticket_id: UUID, *, public_only: bool = False) -> list[TicketMessage]:
        stmt = self.select().where(TicketMessage.ticket_id == ticket_id)
        if public_only:
            stmt = stmt.where(TicketMessage.public.is_(True))
        stmt = stmt.order_by(TicketMessage.created_at, TicketMessage.id)
        return list((await self.session.execute(stmt)).scalars())

    async def get(self, message_id: UUID) -> TicketMessage | None:
        stmt = self.select().where(TicketMessage.id == message_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def ticket_of_message_ids(self, message_ids: list[str]) -> UUID | None:
        """The ticket one of these RFC 5322 Message-IDs belongs to (the latest such)."""
        if not message_ids:
            return None
        stmt = (
            select(TicketMessage.ticket_id)
            .where(
                TicketMessage.tenant_id == self.tenant_id,
                TicketMessage.message_id.in_(message_ids),
            )
            .order_by(TicketMessage.created_at.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
