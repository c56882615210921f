"""Static lists and their members, one tenant's rows at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.repository import RowsRepository, TenantRepository, through_parents
from sqlalchemy import Select

from contacts_service.lists.models import ListMember, StaticList


class ListRepository(TenantRepository[StaticList]):
    model = StaticList
    label = "list"

    async def named(self, object_type: str, name: str) -> list[StaticList]:
        return await self.list(
            self.select().where(StaticList.object_type == object_type, StaticList.name == name)
        )


class MemberRepository(RowsRepository[ListMember]):
    model = ListMember

    async def sizes(self, list_ids: Sequence[UUID]) -> dict[UUID, int]:
        """Members per list, for a page of lists in one query."""
        return await self.count_by(ListMember.list_id, list_ids)

    def of_list(self, list_id: UUID, member_model: Any, actor: Actor) -> Select[Any]:
        """The members of a list the actor may see (a hidden record is not listed)."""
        parents = ((ListMember.member_id, member_model),)
        return self.select().where(
            ListMember.list_id == list_id, through_parents(parents, self.tenant_id, actor)
        )

    async def add(self, list_id: UUID, ids: Sequence[UUID]) -> list[UUID]:
        rows = [{"list_id": list_id, "member_id": i} for i in ids]
        return await self.insert_new(rows, returning=ListMember.member_id)

    async def remove(self, list_id: UUID, ids: Sequence[UUID]) -> list[UUID]:
        return await self.delete_returning(
            ListMember.member_id, ListMember.list_id == list_id, ListMember.member_id.in_(ids)
        )
