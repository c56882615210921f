from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_chassis.crud import CallDep
from crm_chassis.http import IfMatchDep
from crm_chassis.pagination import Page, PageParamsDep
from fastapi import APIRouter, Body, status

from contacts_service.deps import MERGE_PATCH, READ, WRITE
from contacts_service.lists import service
from contacts_service.lists.schemas import (
    ListCreate,
    ListMemberRead,
    ListRead,
    MemberIds,
    MembershipChange,
)
from contacts_service.lists.service import LIST, LISTS

router = APIRouter(prefix="/v1/lists", tags=["lists"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=WRITE)
async def create_list(body: ListCreate, call: CallDep) -> ListRead:
    return LIST.created(call.actor, await LISTS.create(call, body))


@router.get("", dependencies=READ)
async def list_lists(call: CallDep, page: PageParamsDep) -> Page[ListRead]:
    rows, cursor = await LISTS.page(call, page)
    return LIST.page(call.actor, await service.with_sizes(call, rows), cursor)


@router.get("/{list_id:uuid}", dependencies=READ)
async def get_list(list_id: UUID, call: CallDep) -> ListRead:
    (lst,) = await service.with_sizes(call, [await LISTS.get(call, list_id)])
    return LIST.one(call.actor, lst)


@router.patch("/{list_id:uuid}", dependencies=WRITE, openapi_extra=MERGE_PATCH)
async def patch_list(
    list_id: UUID,
    call: CallDep,
    if_match: IfMatchDep = None,
    body: Annotated[Any, Body()] = None,
) -> ListRead:
    lst = await LISTS.patch(call, list_id, body, if_match)
    return LIST.one(call.actor, (await service.with_sizes(call, [lst]))[0])


@router.delete("/{list_id:uuid}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WRITE)
async def delete_list(list_id: UUID, call: CallDep, if_match: IfMatchDep = None) -> None:
    await LISTS.delete(call, list_id, if_match)


@router.get("/{list_id:uuid}/members", dependencies=READ)
async def list_members(list_id: UUID, call: CallDep, page: PageParamsDep) -> Page[ListMemberRead]:
    rows, cursor = await service.members_page(call, list_id, page)
    return Page(
        data=[ListMemberRead(member_id=r.member_id, added_at=r.added_at) for r in rows],
        next_cursor=cursor,
    )


@router.post("/{list_id:uuid}/members", dependencies=WRITE)
async def add_list_members(list_id: UUID, body: MemberIds, call: CallDep) -> MembershipChange:
    added, unknown = await service.add_members(call, list_id, body.ids)
    return MembershipChange(changed=added, unknown=unknown)


@router.post("/{list_id:uuid}/members/remove", dependencies=WRITE)
async def remove_list_members(list_id: UUID, body: MemberIds, call: CallDep) -> MembershipChange:
    removed = await service.remove_members(call, list_id, body.ids)
    return MembershipChange(changed=removed, unknown=[])
