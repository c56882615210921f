"""Static lists (C4): hand-curated sets of contacts or accounts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.errors import Conflict, NotFound
from crm_chassis.http import check_if_match
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams, apply_keyset, page_of
from crm_chassis.repository import actor_of
from crm_chassis.resources import patched
from crm_proto.events.contacts import (
    ListCreated,
    ListDeleted,
    ListMembersAdded,
    ListMembersRemoved,
    ListSnapshot,
    ListUpdated,
)
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.accounts.models import Account
from contacts_service.contacts.models import Contact
from contacts_service.events import events
from contacts_service.lists.models import ListMember, StaticList
from contacts_service.lists.repository import ListRepository, MemberRepository
from contacts_service.lists.schemas import ListCreate, ListRead, ListUpdate


def _event(type_: str, lst: StaticList, data: Any, sequence: int | None = None) -> Any:
    return events.event(
        type_, data, tenant_id=lst.tenant_id, subject=lst.id, sequence=sequence or lst.version
    )


def _member_repo(session: AsyncSession, who: Actor | UUID, lst: StaticList) -> Any:
    """The repository of the records a list of ``lst.object_type`` holds."""
    from contacts_service.accounts.repository import AccountRepository
    from contacts_service.contacts.repository import ContactRepository

    repo = ContactRepository if lst.object_type == "contact" else AccountRepository
    return repo(session, who)


def _snapshot(lst: StaticList) -> ListSnapshot:
    return ListSnapshot.model_validate(lst, from_attributes=True)


async def _unique_name(repo: ListRepository, object_type: str, name: str) -> None:
    if await repo.named(object_type, name):
        raise Conflict(f"A {object_type} list named {name!r} exists")


async def create(*, session: AsyncSession, who: Actor | UUID, data: ListCreate) -> StaticList:
    repo = ListRepository(session, who)
    await _unique_name(repo, data.object_type, data.name)
    lst = await repo.add(
        StaticList(tenant_id=actor_of(who).tenant_id, **data.model_dump(mode="json"))
    )
    await emit(
        session, _event("crm.contacts.list.created.v1", lst, ListCreated(list=_snapshot(lst)))
    )
    return lst


async def get(
    *, session: AsyncSession, who: Actor | UUID, list_id: UUID, for_update: bool = False
) -> StaticList:
    lst = await ListRepository(session, who).get(list_id, for_update=for_update)
    if lst is None:
        raise NotFound(f"No list {list_id}")
    return lst


async def sizes(
    session: AsyncSession, who: Actor | UUID, lists: list[StaticList]
) -> dict[UUID, int]:
    """How many members each of ``lists`` has, in one query."""
    return await MemberRepository(session, who).sizes([lst.id for lst in lists])


async def list_page(
    *, session: AsyncSession, who: Actor | UUID, params: PageParams
) -> tuple[list[StaticList], str | None]:
    repo = ListRepository(session, who)
    stmt, sort = apply_keyset(
        repo.select(),
        params,
        id_column=StaticList.id,
        sortable={"created_at": StaticList.created_at},
    )
    return page_of(await repo.list(stmt), params, sort, lambda r: (r.created_at, r.id))


async def patch(
    *, session: AsyncSession, who: Actor | UUID, list_id: UUID, body: Any, if_match: str | None
) -> StaticList:
    lst = await get(session=session, who=who, list_id=list_id, for_update=True)
    check_if_match(if_match, lst.version)
    current = ListRead.model_validate(lst).model_dump(mode="json")
    model, changed = patched(current, ListUpdate, body)
    if "name" in changed:
        await _unique_name(ListRepository(session, who), lst.object_type, model.name)
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
    *, session: AsyncSession, who: Actor | UUID, list_id: UUID, if_match: str | None
) -> None:
    lst = await get(session=session, who=who, list_id=list_id, for_update=True)
    check_if_match(if_match, lst.version)
    await emit(
        session,
        _event("crm.contacts.list.deleted.v1", lst, ListDeleted(id=lst.id), lst.version + 1),
    )
    await ListRepository(session, who).delete(lst)


async def add_members(
    *, session: AsyncSession, who: Actor | UUID, list_id: UUID, ids: list[UUID]
) -> tuple[list[UUID], list[UUID]]:
    """Add records to a list: (ids newly added, ids that are no record of this tenant)."""
    lst = await get(session=session, who=who, list_id=list_id, for_update=True)
    wanted = list(dict.fromkeys(ids))
    known = await _member_repo(session, who, lst).visible_ids(wanted)
    added = await MemberRepository(session, who).add(lst.id, [i for i in wanted if i in known])
    added.sort(key=wanted.index)
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
    *, session: AsyncSession, who: Actor | UUID, list_id: UUID, ids: list[UUID]
) -> list[UUID]:
    lst = await get(session=session, who=who, list_id=list_id, for_update=True)
    removed = await MemberRepository(session, who).remove(lst.id, ids)
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
    *, session: AsyncSession, who: Actor | UUID, list_id: UUID, params: PageParams
) -> tuple[list[ListMember], str | None]:
    lst = await get(session=session, who=who, list_id=list_id)
    model = Contact if lst.object_type == "contact" else Account
    stmt = MemberRepository(session, who).of_list(lst.id, model, actor_of(who))
    stmt, sort = apply_keyset(
        stmt,
        params,
        id_column=ListMember.member_id,
        sortable={"added_at": ListMember.added_at},
        default="-added_at",
    )
    rows = list((await session.execute(stmt)).scalars())
    return page_of(rows, params, sort, lambda m: (m.added_at, m.member_id))
