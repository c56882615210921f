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


async def _read(session: Any, lst: Any) -> ListRead:
    read = ListRead.model_validate(lst)
    read.size = await service.size(session, lst.id)
    return read


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=WRITE)
async def create_list(
    body: ListCreate, session: SessionDep, principal: PrincipalDep, response: Response
) -> ListRead:
    lst = await service.create(session=session, tenant_id=principal.tenant_id, data=body)
    response.headers["Location"] = f"/v1/lists/{lst.id}"
    set_etag(response, lst.version)
    return ListRead.model_validate(lst)


@router.get("", dependencies=READ)
async def list_lists(
    session: SessionDep, principal: PrincipalDep, page: PageParamsDep
) -> Page[ListRead]:
    rows, cursor = await service.list_page(
        session=session, tenant_id=principal.tenant_id, params=page
    )
    return Page(data=[await _read(session, r) for r in rows], next_cursor=cursor)


@router.get("/{list_id}", dependencies=READ)
async def get_list(
    list_id: UUID, session: SessionDep, principal: PrincipalDep, response: Response
) -> ListRead:
    lst = await service.get(session=session, tenant_id=principal.tenant_id, list_id=list_id)
    set_etag(response, lst.version)
    return await _read(session, lst)


@router.patch("/{list_id}", dependencies=WRITE, openapi_extra=MERGE_PATCH)
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
        tenant_id=principal.tenant_id,
        list_id=list_id,
        body=body,
        if_match=if_match,
    )
    set_etag(response, lst.version)
    return await _read(session, lst)


@router.delete("/{list_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WRITE)
async def delete_list(
    list_id: UUID, session: SessionDep, principal: PrincipalDep, if_match: IfMatchDep = None
) -> None:
    await service.delete(
        session=session, tenant_id=principal.tenant_id, list_id=list_id, if_match=if_match
    )


@router.get("/{list_id}/members", dependencies=READ)
async def list_members(
    list_id: UUID, session: SessionDep, principal: PrincipalDep, page: PageParamsDep
) -> Page[ListMemberRead]:
    rows, cursor = await service.members_page(
        session=session, tenant_id=principal.tenant_id, list_id=list_id, params=page
    )
    return Page(
        data=[ListMemberRead(member_id=r.member_id, added_at=r.added_at) for r in rows],
        next_cursor=cursor,
    )


@router.post("/{list_id}/members", dependencies=WRITE)
async def add_list_members(
    list_id: UUID, body: MemberIds, session: SessionDep, principal: PrincipalDep
) -> MembershipChange:
    added, unknown = await service.add_members(
        session=session, tenant_id=principal.tenant_id, list_id=list_id, ids=body.ids
    )
    return MembershipChange(changed=added, unknown=unknown)


@router.post("/{list_id}/members/remove", dependencies=WRITE)
async def remove_list_members(
    list_id: UUID, body: MemberIds, session: SessionDep, principal: PrincipalDep
) -> MembershipChange:
    removed = await service.remove_members(
        session=session, tenant_id=principal.tenant_id, list_id=list_id, ids=body.ids
    )
    return MembershipChange(changed=removed, unknown=[])
