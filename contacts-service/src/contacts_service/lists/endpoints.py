from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_chassis.auth import PrincipalDep
from crm_chassis.db import SessionDep
from crm_chassis.http import IfMatchDep, set_etag
from crm_chassis.pagination import Page, PageParamsDep
from fastapi import APIRouter, Body, Response, status

from contacts_service.deps import MERGE_PATCH, READ, WRITE
from contacts_service.lists import service
from contacts_service.lists.schemas import (
    ListCreate,
    ListMemberRead,
    ListRead,
    MemberIds,
    MembershipChange,
)

router = APIRouter(prefix="/v1/lists", tags=["lists"])


async def _reads(session: Any, principal: Any, lists: list[Any]) -> list[ListRead]:
    """The lists with their sizes, counted in one query for the whole page."""
    sizes = await service.sizes(session, principal, lists)
    return [
        ListRead.model_validate(lst).model_copy(update={"size": sizes[lst.id]}) for lst in lists
    ]


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=WRITE)
async def create_list(
    body: ListCreate, session: SessionDep, principal: PrincipalDep, response: Response
) -> ListRead:
    lst = await service.create(session=session, who=principal, data=body)
    response.headers["Location"] = f"/v1/lists/{lst.id}"
    set_etag(response, lst.version)
    return ListRead.model_validate(lst)


@router.get("", dependencies=READ)
async def list_lists(
    session: SessionDep, principal: PrincipalDep, page: PageParamsDep
) -> Page[ListRead]:
    rows, cursor = await service.list_page(session=session, who=principal, params=page)
    return Page(data=await _reads(session, principal, rows), next_cursor=cursor)


@router.get("/{list_id:uuid}", dependencies=READ)
async def get_list(
    list_id: UUID, session: SessionDep, principal: PrincipalDep, response: Response
) -> ListRead:
    lst = await service.get(session=session, who=principal, list_id=list_id)
    set_etag(response, lst.version)
    return (await _reads(session, principal, [lst]))[0]


@router.patch("/{list_id:uuid}", dependencies=WRITE, openapi_extra=MERGE_PATCH)
async def patch_list(
    list_id: UUID,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    if_match: IfMatchDep = None,
    body: Annotated[Any, Body()] = None,
) -> ListRead:
    lst = await service.patch(
        session=session,
        who=principal,
        list_id=list_id,
        body=body,
        if_match=if_match,
    )
    set_etag(response, lst.version)
    return (await _reads(session, principal, [lst]))[0]


@router.delete("/{list_id:uuid}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WRITE)
async def delete_list(
    list_id: UUID, session: SessionDep, principal: PrincipalDep, if_match: IfMatchDep = None
) -> None:
    await service.delete(session=session, who=principal, list_id=list_id, if_match=if_match)


@router.get("/{list_id:uuid}/members", dependencies=READ)
async def list_members(
    list_id: UUID, session: SessionDep, principal: PrincipalDep, page: PageParamsDep
) -> Page[ListMemberRead]:
    rows, cursor = await service.members_page(
        session=session, who=principal, list_id=list_id, params=page
    )
    return Page(
        data=[ListMemberRead(member_id=r.member_id, added_at=r.added_at) for r in rows],
        next_cursor=cursor,
    )


@router.post("/{list_id:uuid}/members", dependencies=WRITE)
async def add_list_members(
    list_id: UUID, body: MemberIds, session: SessionDep, principal: PrincipalDep
) -> MembershipChange:
    added, unknown = await service.add_members(
        session=session, who=principal, list_id=list_id, ids=body.ids
    )
    return MembershipChange(changed=added, unknown=unknown)


@router.post("/{list_id:uuid}/members/remove", dependencies=WRITE)
async def remove_list_members(
    list_id: UUID, body: MemberIds, session: SessionDep, principal: PrincipalDep
) -> MembershipChange:
    removed = await service.remove_members(
        session=session, who=principal, list_id=list_id, ids=body.ids
    )
    return MembershipChange(changed=removed, unknown=[])
