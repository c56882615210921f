from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.pagination import PageParams, apply_keyset, page_of
from crm_chassis.repository import TenantRepository

from contacts_service.contacts.models import Contact


class ContactRepository(TenantRepository[Contact]):
    model = Contact

    async def page(self, params: PageParams, *, email: str | None = None,
                   account_id: UUID | None = None) -> tuple[list[Contact], str | None]:
        stmt = self.select()
        if email:
            stmt = stmt.where(Contact.email == email.lower())
        if account_id:
            stmt = stmt.where(Contact.account_id == account_id)
        sortable: dict[str, Any] = {
            "created_at": Contact.created_at,
            "updated_at": Contact.updated_at,
        }
        stmt, sort = apply_keyset(stmt, params, sortable=sortable, id_column=Contact.id)
        rows = await self.list(stmt)
        name = sort.lstrip("-")
        return page_of(rows, params, sort, lambda c: (getattr(c, name), c.id))

    async def of_account(self, account_id: UUID) -> list[Contact]:
        return await self.list(
            self.select().where(Contact.account_id == account_id).with_for_update()
        )
