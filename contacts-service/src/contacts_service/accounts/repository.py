from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.repository import TenantRepository
from sqlalchemy import Select, func, select

from contacts_service.accounts.models import Account
from contacts_service.accounts.schemas import AccountFilters
from contacts_service.common.custom_values import HasCustomValues

SORTABLE: dict[str, Any] = {
    "created_at": Account.created_at,
    "updated_at": Account.updated_at,
    "name": func.lower(Account.name),
}


class AccountRepository(HasCustomValues, TenantRepository[Account]):
    model = Account
    label = "account"
    sortable = SORTABLE

    def filtered(self, filters: AccountFilters) -> Select[Any]:
        """This tenant's accounts matching the simple filters of ``GET /v1/accounts``."""
        stmt = self.select()
        if filters.domain:
            stmt = stmt.where(Account.domain == filters.domain.lower())
        if filters.type:
            stmt = stmt.where(Account.type == filters.type)
        if filters.parent_id:
            stmt = stmt.where(Account.parent_id == filters.parent_id)
        if filters.owner_id:
            stmt = stmt.where(Account.owner_id == filters.owner_id)
        if filters.team_id:
            stmt = stmt.where(Account.team_id == filters.team_id)
        if filters.tag:
            stmt = stmt.where(Account.tags.contains([filters.tag.lower()]))
        return stmt

    def sort_value(self, row: Account, sort: str) -> Any:
        name = sort.lstrip("-")
        return row.name.lower() if name == "name" else getattr(row, name)

    async def children(self, account_id: UUID) -> list[Account]:
        return await self.list(
            self.select().where(Account.parent_id == account_id).with_for_update()
        )

    async def ancestors(self, account_id: UUID) -> list[UUID]:
        """Ids above ``account_id`` in the hierarchy, nearest first (cycle-safe)."""
        tree = (
            select(Account.id, Account.parent_id)
            .where(Account.tenant_id == self.tenant_id, Account.id == account_id)
            .cte("tree", recursive=True)
        )
        parent = select(Account.id, Account.parent_id).where(
            Account.tenant_id == self.tenant_id, Account.id == tree.c.parent_id
        )
        tree = tree.union(parent)
        rows = await self.session.execute(select(tree.c.id))
        return [r.id for r in rows if r.id != account_id]
