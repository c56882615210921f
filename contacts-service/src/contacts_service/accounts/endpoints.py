from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_chassis.crud import CallDep
from crm_chassis.http import IfMatchDep
from crm_chassis.pagination import Page, PageParamsDep
from fastapi import APIRouter, Body, Query, status

from contacts_service.accounts import service
from contacts_service.accounts.schemas import AccountFilters, AccountRead, AccountWrite
from contacts_service.accounts.view import ACCOUNT
from contacts_service.deps import MERGE_PATCH, READ, WRITE, PhoneRegionDep

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=WRITE)
async def create_account(body: AccountWrite, call: CallDep, region: PhoneRegionDep) -> AccountRead:
    account = await service.create(call, body, phone_region=region)
    return ACCOUNT.created(call.actor, account)


@router.get("", dependencies=READ)
async def list_accounts(
    call: CallDep, page: PageParamsDep, filters: Annotated[AccountFilters, Query()]
) -> Page[AccountRead]:
    return ACCOUNT.page(call.actor, *await service.list_page(call, page, filters))


@router.get("/{account_id:uuid}", dependencies=READ)
async def get_account(account_id: UUID, call: CallDep) -> AccountRead:
    return ACCOUNT.one(call.actor, await service.get(call, account_id))


@router.patch("/{account_id:uuid}", dependencies=WRITE, openapi_extra=MERGE_PATCH)
async def patch_account(
    account_id: UUID,
    call: CallDep,
    region: PhoneRegionDep,
    if_match: IfMatchDep = None,
    body: Annotated[Any, Body()] = None,
) -> AccountRead:
    account = await service.patch(call, account_id, body, if_match=if_match, phone_region=region)
    return ACCOUNT.one(call.actor, account)


@router.delete("/{account_id:uuid}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WRITE)
async def delete_account(account_id: UUID, call: CallDep, if_match: IfMatchDep = None) -> None:
    await service.delete(call, account_id, if_match=if_match)
