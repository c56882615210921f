"""Static lists (C4): hand-curated sets of contacts or accounts.

Functions take the :class:`~crm_chassis.crud.Call` and never commit.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.crud import Call, Crud, View, load_for_update
from crm_chassis.entity_events import EntityEvents
from crm_chassis.errors import Conflict
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams, apply_keyset, page_of
from crm_proto.events import contacts as contacts_events
from crm_proto.events.contacts import (
    ListMembersAdded,
    ListMembersRemoved,
)

from contacts_service.accounts.models import Account
from contacts_service.contacts.models import Contact
from contacts_service.events import events
from contacts_service.lists.models import ListMember, StaticList
from contacts_service.lists.repository import ListRepository, MemberRepository
from contacts_service.lists.schemas import ListCreate, ListRead, ListUpdate

LIST = View("list", ListRead, path="/v1/lists")
EVENTS = EntityEvents.of(events, "crm.contacts.list", contacts_events)


def _records(call: Call, lst: StaticList) -> Any:
    """The repository of the records a list of ``lst.object_type`` holds."""
    from contacts_service.accounts.repository import AccountRepository
    from contacts_service.contacts.repository import ContactRepository

    repo = ContactRepository if lst.object_type == "contact" else AccountRepository
    return repo(call.session, call.actor)


async def _unique_name(repo: ListRepository, object_type: str, name: str) -> None:
    if await repo.named(object_type, name):
        raise Conflict(f"A {object_type} list named {name!r} exists")


async def with_sizes(call: Call, lists: list[StaticList]) -> list[StaticList]:
    """``lists`` with their ``size`` (members the caller may see or not), one query."""
    sizes = await MemberRepository(call.session, call.actor).sizes([lst.id for lst in lists])
    for lst in lists:
        lst.size = sizes[lst.id]  # read by ListRead
    return lists


class Lists(Crud[StaticList]):
    """Static lists: one name per object type among a tenant's lists."""

    def __init__(self) -> None:
        super().__init__(
            ListRepository,
            LIST,
            ListCreate,
            EVENTS,
            update=ListUpdate,
            columns=lambda model: model.model_dump(mode="json"),
        )

    async def check_create(self, call: Call, data: Any) -> None:
        await _unique_name(ListRepository(call.session, call.actor), data.object_type, data.name)

    async def check_patch(self, call: Call, entity: Any, model: Any, changed: list[str]) -> None:
        if "name" in changed:
            repo = ListRepository(call.session, call.actor)
            await _unique_name(repo, entity.object_type, model.name)


LISTS = Lists()


async def add_members(call: Call, list_id: UUID, ids: list[UUID]) -> tuple[list[UUID], list[UUID]]:
    """Add records to a list: (ids newly added, ids that name no record the caller sees)."""
    lst = await load_for_update(ListRepository(call.session, call.actor), list_id, None)
    wanted = list(dict.fromkeys(ids))
    known = await _records(call, lst).visible_ids(wanted)
    members = MemberRepository(call.session, call.actor)
    added = sorted(await members.add(lst.id, [i for i in wanted if i in known]), key=wanted.index)
    if added:
        data = ListMembersAdded(list_id=lst.id, member_ids=added)
        await emit(call.session, EVENTS.event("members_added", lst, data))
    return added, [i for i in wanted if i not in known]


async def remove_members(call: Call, list_id: UUID, ids: list[UUID]) -> list[UUID]:
    lst = await load_for_update(ListRepository(call.session, call.actor), list_id, None)
    visible = await _records(call, lst).visible_ids(ids)
    members = MemberRepository(call.session, call.actor)
    removed = await members.remove(lst.id, [i for i in ids if i in visible])
    if removed:
        data = ListMembersRemoved(list_id=lst.id, member_ids=removed)
        await emit(call.session, EVENTS.event("members_removed", lst, data))
    return removed


async def members_page(
    call: Call, list_id: UUID, params: PageParams
) -> tuple[list[ListMember], str | None]:
    """The members the caller may see, most recently added first."""
    lst = await LISTS.get(call, list_id)
    model = Contact if lst.object_type == "contact" else Account
    stmt = MemberRepository(call.session, call.actor).of_list(lst.id, model, call.actor)
    stmt, sort = apply_keyset(
        stmt,
        params,
        id_column=ListMember.member_id,
        sortable={"added_at": ListMember.added_at},
        default="-added_at",
    )
    rows = list((await call.session.execute(stmt)).scalars())
    return page_of(rows, params, sort, lambda m: (m.added_at, m.member_id))
