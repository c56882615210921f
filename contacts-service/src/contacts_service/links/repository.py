"""The contact-account link table, one tenant's rows at a time."""

from __future__ import annotations

from uuid import UUID

from crm_chassis.repository import RowsRepository
from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert

from contacts_service.links.models import ContactAccount


class LinkRepository(RowsRepository[ContactAccount]):
    model = ContactAccount

    async def of_contact(self, contact_id: UUID) -> list[ContactAccount]:
        return await self.list(
            self.select()
            .where(ContactAccount.contact_id == contact_id)
            .order_by(ContactAccount.is_primary.desc(), ContactAccount.created_at)
        )

    async def demote_others(self, contact_id: UUID, keep: UUID | None) -> None:
        """No link of the contact but ``keep``'s stays primary."""
        stmt = update(ContactAccount).where(
            ContactAccount.tenant_id == self.tenant_id, ContactAccount.contact_id == contact_id
        )
        if keep is not None:
            stmt = stmt.where(ContactAccount.account_id != keep)
        await self.session.execute(stmt.values(is_primary=False))

    async def upsert(
        self, contact_id: UUID, account_id: UUID, *, role: str | None, primary: bool
    ) -> ContactAccount:
        stmt = (
            insert(ContactAccount)
            .values(
                contact_id=contact_id,
                account_id=account_id,
                tenant_id=self.tenant_id,
                role=role,
                is_primary=primary,
            )
            .on_conflict_do_update(
                index_elements=["contact_id", "account_id"],
                set_={"role": role, "is_primary": primary},
                where=ContactAccount.tenant_id == self.tenant_id,
            )
            .returning(ContactAccount)
        )
        return (await self.session.execute(stmt)).scalar_one()

    async def remove(self, contact_id: UUID, account_id: UUID) -> bool | None:
        """Delete the link: whether it was primary, or None when there was none."""
        stmt = (
            delete(ContactAccount)
            .where(
                ContactAccount.tenant_id == self.tenant_id,
                ContactAccount.contact_id == contact_id,
                ContactAccount.account_id == account_id,
            )
            .returning(ContactAccount.is_primary)
        )
        row = (await self.session.execute(stmt)).first()
        return None if row is None else bool(row.is_primary)
