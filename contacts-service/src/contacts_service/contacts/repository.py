from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.repository import TenantRepository
from sqlalchemy import Select, func

from contacts_service.common.custom_values import HasCustomValues
from contacts_service.contacts.models import Contact
from contacts_service.contacts.schemas import ContactFilters

SORTABLE: dict[str, Any] = {
    "created_at": Contact.created_at,
    "updated_at": Contact.updated_at,
    "last_name": func.lower(func.coalesce(Contact.last_name, "")),
}


class ContactRepository(HasCustomValues, TenantRepository[Contact]):
    model = Contact
    label = "contact"
    sortable = SORTABLE

    def filtered(self, filters: ContactFilters, *columns: Any) -> Select[Any]:
        """This tenant's contacts matching the simple filters of ``GET /v1/contacts``: the
        entities, or only ``columns`` of them."""
        stmt = self.select(*columns)
        if filters.email:
            stmt = stmt.where(Contact.email_keys.contains([filters.email.lower()]))
        if filters.account_id:
            stmt = stmt.where(Contact.account_id == filters.account_id)
        if filters.owner_id:
            stmt = stmt.where(Contact.owner_id == filters.owner_id)
        if filters.team_id:
            stmt = stmt.where(Contact.team_id == filters.team_id)
        if filters.tag:
            stmt = stmt.where(Contact.tags.contains([filters.tag.lower()]))
        if filters.lifecycle_stage:
            stmt = stmt.where(Contact.lifecycle_stage == filters.lifecycle_stage)
        if filters.membership_level:
            stmt = stmt.where(Contact.membership_level == filters.membership_level)
        return stmt

    def sort_value(self, row: Contact, sort: str) -> Any:
        return sort_key(row, sort)

    async def of_account(self, account_id: UUID) -> list[Contact]:
        return await self.list(
            self.select().where(Contact.account_id == account_id).with_for_update()
        )


def sort_key(contact: Contact, sort: str) -> Any:
    name = sort.lstrip("-")
    if name == "last_name":
        return (contact.last_name or "").lower()
    return getattr(contact, name)
