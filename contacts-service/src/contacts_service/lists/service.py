"""Static lists (C4): hand-curated sets of contacts or accounts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.errors import Conflict, NotFound
from crm_chassis.http import check_if_match
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams, apply_keyset, page_of
from crm_chassis.repository import TenantRepository
from crm_chassis.resources import patched
from crm_proto.events.contacts import (
    ListCreated,
    ListDeleted,
    ListMembersAdded,
    ListMembersRemoved,
    ListSnapshot,
    ListUpdated,
)
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.accounts.models import Account
from contacts_service.contacts.models import Contact
from contacts_service.events import events
from contacts_service.lists.models import ListMember, StaticList
from contacts_service.lists.schemas import ListCreate, ListRead, ListUpdate


class ListRepository(TenantRepository[StaticList]):
    model = StaticList


def _event(type_: str, lst: StaticList, data: Any, sequence: int | None = None) -> Any:
    return events.event(
        type_, data, tenant_id=lst.tenant_id, subject=lst.id, sequence=sequence or lst.version
    )


def _snapshot(lst: StaticList) -> ListSnapshot:
    return ListSnapshot.model_validate(lst, from_attributes=True)


async def _unique_name(repo: ListRepository, object_type: str, name: str) -> None:
    clash = await repo.list(
        repo.select().where(StaticList.object_type == object_type, StaticList.name == name)
    )
    if clash:
        raise Conflict(f"A {object_type} list named {name!r} exists")


async def create(*, session: AsyncSession, tenant_id: UUID, data: ListCreate) -> StaticList:
    repo = ListRepository(session, tenant_id)
    await _unique_name(repo, data.object_type, data.name)
    lst = await repo.add(StaticList(tenant_id=tenant_id, **data.model_dump(mode="json")))
    await emit(
        session, _event("crm.contacts.list.created.v1", lst, ListCreated(list=_snapshot(lst)))
    )
    return lst


async def get(
    *, session: AsyncSession, tenant_id: UUID, list_id: UUID, for_update: bool = False
) -> StaticList:
    lst = await ListRepository(session, tenant_id).get(list_id, for_update=for_update)
    if lst is None:
        raise NotFound(f"No list {list_id}")
    return lst


async def size(session: AsyncSession, list_id: UUID) -> int:
    stmt = select(func.count()).select_from(ListMember).where(ListMember.list_id == list_id)
    return int((await session.execute(stmt)).scalar_one())


async def list_page(
    *, session: AsyncSession, tenant_id: UUID, params: PageParams
) -> tuple[list[StaticList], str | None]:
    repo = ListRepository(session, tenant_id)
    stmt, sort = apply_keyset(
        repo.select(),
        params,
        id_column=StaticList.id,
        sortable={"created_at": StaticList.created_at},
    )
    return page_of(await repo.list(stmt), params, sort, lambda r: (r.created_at, r.id))


async def patch(
    *, session: AsyncSession, tenant_id: UUID, list_id: UUID, body: Any, if_match: str | None
) -> StaticList:
    lst = await get(session=session, tenant_id=tenant_id, list_id=list_id, for_update=True)
    check_if_match(if_match, lst.version)
    current = ListRead.model_validate(lst).model_dump(mode="json")
    model, changed = patched(current, ListUpdate, body)
    if "name" in changed:
        await _unique_name(ListRepository(session, tenant_id), lst.object_type, model.name)
    if changed:
        for name in changed:
            setattr(lst, name, getattr(model, name))
        await session.flush()
        await emit(
            session,
            _event(
                "crm.contacts.list.updated.v1",
                lst,
                ListUpdated(list=_snapshot(lst), changed=changed),
            ),
        )
    return lst


async def delete(
    *, session: AsyncSession, tenant_id: UUID, list_id: UUID, if_match: str | None
) -> None:
    lst = await get(session=session, tenant_id=tenant_id, list_id=list_id, for_update=True)
    check_if_match(if_match, lst.version)
    await emit(
        session,
        _event("crm.contacts.list.deleted.v1", lst, ListDeleted(id=lst.id), lst.version + 1),
    )
    await ListRepository(session, tenant_id).delete(lst)


async def add_members(
    *, session: AsyncSession, tenant_id: UUID, list_id: UUID, ids: list[UUID]
) -> tuple[list[UUID], list[UUID]]:
    """Add records to a list: (ids newly added, ids that are no record of this tenant)."""
    lst = await get(session=session, tenant_id=tenant_id, list_id=list_id, for_update=True)
    model = Contact if lst.object_type == "contact" else Account
    wanted = list(dict.fromkeys(ids))
    known = set(
        (
            await session.execute(
                select(model.id).where(model.tenant_id == tenant_id, model.id.in_(wanted))
            )
        ).scalars()
    )
    rows = [
        {"list_id": lst.id, "member_id": i, "tenant_id": tenant_id} for i in wanted if i in known
    ]
    added: list[UUID] = []
    if rows:
        result = await session.execute(
            insert(ListMember).values(rows).on_conflict_do_nothing().returning(ListMember.member_id)
        )
        added = sorted(result.scalars(), key=wanted.index)
    if added:
        await emit(
            session,
            _event(
                "crm.contacts.list.members_added.v1",
                lst,
                ListMembersAdded(list_id=lst.id, member_ids=added),
            ),
        )
    return added, [i for i in wanted if i not in known]


async def remove_members(
    *, session: AsyncSession, tenant_id: UUID, list_id: UUID, ids: list[UUID]
) -> list[UUID]:
    lst = await get(session=session, tenant_id=tenant_id, list_id=list_id, for_update=True)
    result = await session.execute(
        sql_delete(ListMember)
        .where(ListMember.list_id == lst.id, ListMember.member_id.in_(ids))
        .returning(ListMember.member_id)
    )
    removed = list(result.scalars())
    if removed:
        await emit(
            session,
            _event(
                "crm.contacts.list.members_removed.v1",
                lst,
                ListMembersRemoved(list_id=lst.id, member_ids=removed),
            ),
        )
    return removed


async def members_page(
    *, session: AsyncSession, tenant_id: UUID, list_id: UUID, params: PageParams
) -> tuple[list[ListMember], str | None]:
    lst = await get(session=session, tenant_id=tenant_id, list_id=list_id)
    stmt = select(ListMember).where(ListMember.list_id == lst.id)
    stmt, sort = apply_keyset(
        stmt,
        params,
        id_column=ListMember.member_id,
        sortable={"added_at": ListMember.added_at},
        default="-added_at",
    )
    rows = list((await session.execute(stmt)).scalars())
    return page_of(rows, params, sort, lambda m: (m.added_at, m.member_id))
