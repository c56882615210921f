from __future__ import annotations

from typing import Any

from crm_chassis.pagination import PageParams, apply_keyset, page_of
from crm_chassis.repository import TenantRepository

from contacts_service.accounts.models import Account


class AccountRepository(TenantRepository[Account]):
    model = Account

    async def page(self, params: PageParams, *, domain: str | None = None) -> tuple[list[Account], str | None]:
        stmt = self.select()
        if domain:
            stmt = stmt.where(Account.domain == domain.lower())
        sortable: dict[str, Any] = {
            "created_at": Account.created_at,
            "updated_at": Account.updated_at,
            "name": Account.name,
        }
        stmt, sort = apply_keyset(stmt, params, sortable=sortable, id_column=Account.id)
        rows = await self.list(stmt)
        name = sort.lstrip("-")
        return page_of(rows, params, sort, lambda a: (getattr(a, name), a.id))
