from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from crm_chassis.repository import TenantRepository
from sqlalchemy import Select

from contacts_service.accounts.models import Account
from contacts_service.contacts.models import Contact
from contacts_service.notes.models import Note


@dataclass(frozen=True)
class NoteFilters:
    contact_id: UUID | None = None
    account_id: UUID | None = None
    author_id: UUID | None = None
    mentioned: str | None = None


SORTABLE: dict[str, Any] = {"created_at": Note.created_at, "updated_at": Note.updated_at}


class NoteRepository(TenantRepository[Note]):
    model = Note
    label = "note"
    sortable = SORTABLE
    parents = ((Note.contact_id, Contact), (Note.account_id, Account))

    def filtered(self, filters: NoteFilters) -> Select[Any]:
        stmt = self.select()
        if filters.contact_id:
            stmt = stmt.where(Note.contact_id == filters.contact_id)
        if filters.account_id:
            stmt = stmt.where(Note.account_id == filters.account_id)
        if filters.author_id:
            stmt = stmt.where(Note.author_id == filters.author_id)
        if filters.mentioned:
            stmt = stmt.where(Note.mentions.contains([filters.mentioned]))
        return stmt

    async def of_record(self, kind: str, record_id: UUID) -> list[Note]:
        """The notes on a contact or an account, locked for a change."""
        column = Note.contact_id if kind == "contact" else Note.account_id
        return await self.list(self.select().where(column == record_id).with_for_update())
