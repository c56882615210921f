"""All SQL over what support-service holds about contacts-service's records: re-pointing
on a merge (and back on its undo), anonymising on an erasure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from support_service.calls.models import PhoneCall
from support_service.contact_data.models import MergeMove
from support_service.csat.models import Survey
from support_service.tickets.models import Ticket, TicketMessage

ERASED = "(erased)"
# (table, column) of every reference to a contact or an account.
REFERENCES: dict[str, list[tuple[Any, str]]] = {
    "contact": [(Ticket, "requester_id"), (PhoneCall, "contact_id")],
    "account": [(Ticket, "organisation_id")],
}
TABLES: dict[str, Any] = {"tickets": Ticket, "calls": PhoneCall}


class ContactDataRepository:
    def __init__(self, session: AsyncSession, tenant_id: UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def repoint(
        self, kind: str, merge_id: UUID, survivor: UUID, merged: Sequence[UUID]
    ) -> int:
        moved = 0
        for model, column in REFERENCES[kind]:
            col = getattr(model, column)
            # Read the old values first: an undo points each record back to its own.
            rows = (await self.session.execute(
                select(model.id, col).where(model.tenant_id == self.tenant_id,
                                            col.in_(list(merged))).with_for_update()
            )).all()  # fmt: skip
            for record_id, from_id in rows:
                self.session.add(MergeMove(
                    tenant_id=self.tenant_id, merge_id=merge_id,
                    table_name=model.__tablename__, column_name=column,
                    record_id=record_id, from_id=from_id,
                ))  # fmt: skip
            if rows:
                await self.session.execute(
                    update(model)
                    .where(model.tenant_id == self.tenant_id, model.id.in_([r[0] for r in rows]))
                    .values({column: survivor})
                )
            moved += len(rows)
        return moved

    async def undo(self, merge_id: UUID) -> int:
        moves = (await self.session.execute(
            select(MergeMove).where(MergeMove.tenant_id == self.tenant_id,
                                    MergeMove.merge_id == merge_id)
        )).scalars().all()  # fmt: skip
        for move in moves:
            model = TABLES[move.table_name]
            await self.session.execute(
                update(model)
                .where(model.tenant_id == self.tenant_id, model.id == move.record_id)
                .values({move.column_name: move.from_id})
            )
            await self.session.delete(move)
        return len(moves)

    async def erase_contact(self, contact_id: UUID) -> int:
        """Anonymise the contact's tickets (requester address, subject, their messages,
        survey comments) and the customer's side of their calls; the ids stay."""
        tickets = select(Ticket.id).where(
            Ticket.tenant_id == self.tenant_id, Ticket.requester_id == contact_id
        )
        ids = list((await self.session.execute(tickets)).scalars())
        if ids:
            await self.session.execute(
                update(Ticket).where(Ticket.tenant_id == self.tenant_id, Ticket.id.in_(ids))
                .values(requester_email=None, subject=ERASED)
            )  # fmt: skip
            await self.session.execute(
                update(TicketMessage)
                .where(TicketMessage.tenant_id == self.tenant_id,
                       TicketMessage.ticket_id.in_(ids), TicketMessage.author == "customer")
                .values(body=ERASED, from_address=None)
            )  # fmt: skip
            await self.session.execute(
                update(Survey).where(Survey.tenant_id == self.tenant_id,
                                     Survey.ticket_id.in_(ids)).values(comment=None)
            )  # fmt: skip
        for direction, column in (("inbound", "from_number"), ("outbound", "to_number")):
            await self.session.execute(
                update(PhoneCall)
                .where(PhoneCall.tenant_id == self.tenant_id, PhoneCall.contact_id == contact_id,
                       PhoneCall.direction == direction)
                .values({column: ERASED, "recording_ref": None})
            )  # fmt: skip
        return len(ids)
