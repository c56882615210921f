from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_chassis.auth import PrincipalDep
from crm_chassis.db import SessionDep
from crm_chassis.http import IfMatchDep, set_etag
from crm_chassis.pagination import Page, PageParamsDep
from fastapi import APIRouter, Body, Query, Response, status

from contacts_service.accounts import service
from contacts_service.accounts.repository import AccountFilters
from contacts_service.accounts.schemas import AccountRead, AccountType, AccountWrite
from contacts_service.deps import MERGE_PATCH, READ, WRITE, PhoneRegionDep

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=WRITE)
async def create_account(
    body: AccountWrite,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    region: PhoneRegionDep,
) -> AccountRead:
    account = await service.create(
        session=session, tenant_id=principal.tenant_id, data=body, phone_region=region
    )
    response.headers["Location"] = f"/v1/accounts/{account.id}"
    set_etag(response, account.version)
    return AccountRead.model_validate(account)


@router.get("", dependencies=READ)
async def list_accounts(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageParamsDep,
    domain: Annotated[str | None, Query(max_length=255)] = None,
    type: AccountType | None = None,
    parent_id: UUID | None = None,
    owner_id: UUID | None = None,
    tag: Annotated[str | None, Query(max_length=60)] = None,
) -> Page[AccountRead]:
    filters = AccountFilters(
        domain=domain, type=type, parent_id=parent_id, owner_id=owner_id, tag=tag
    )
    rows, cursor = await service.list_page(
        session=session, tenant_id=principal.tenant_id, params=page, filters=filters
    )
    return Page(data=[AccountRead.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/{account_id}", dependencies=READ)
async def get_account(
    account_id: UUID, session: SessionDep, principal: PrincipalDep, response: Response
) -> AccountRead:
    account = await service.get(
        session=session, tenant_id=principal.tenant_id, account_id=account_id
    )
    set_etag(response, account.version)
    return AccountRead.model_validate(account)


@router.patch("/{account_id}", dependencies=WRITE, openapi_extra=MERGE_PATCH)
async def patch_account(
    account_id: UUID,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    region: PhoneRegionDep,
    if_match: IfMatchDep = None,
    body: Annotated[Any, Body()] = None,
) -> AccountRead:
    account = await service.patch(
        session=session,
        tenant_id=principal.tenant_id,
        account_id=account_id,
        body=body,
        if_match=if_match,
        phone_region=region,
    )
    set_etag(response, account.version)
    return AccountRead.model_validate(account)


@router.delete("/{account_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WRITE)
async def delete_account(
    account_id: UUID, session: SessionDep, principal: PrincipalDep, if_match: IfMatchDep = None
) -> None:
    await service.delete(
        session=session, tenant_id=principal.tenant_id, account_id=account_id, if_match=if_match
    )
