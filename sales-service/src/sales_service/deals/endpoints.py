from typing import Annotated
from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.crud_routes import crud_router
from crm_chassis.http import IfMatchDep
from fastapi import APIRouter, Body
from pydantic import BaseModel

from sales_service.deals import parts, service
from sales_service.deals.schemas import (
    DealContactIn,
    DealContactRead,
    LineItemIn,
    LineItemRead,
    StageChangeRead,
)

READ, WRITE = [require_scope("sales:read")], [require_scope("sales:write")]

router = crud_router(service.DEALS, scope="sales", tags=["deals"])
parts_router = APIRouter(prefix="/v1/deals/{id:uuid}", tags=["deals"])


class History(BaseModel):
    data: list[StageChangeRead]


class Contacts(BaseModel):
    data: list[DealContactRead]


class LineItems(BaseModel):
    data: list[LineItemRead]


@parts_router.get("/stage-history", dependencies=READ)
async def stage_history(id: UUID, call: CallDep) -> History:
    """Every stage the deal was in: from, to, who and when, oldest first."""
    rows = await service.history(call, id)
    return History(data=[StageChangeRead.model_validate(r) for r in rows])


@parts_router.get("/contacts", dependencies=READ)
async def deal_contacts(id: UUID, call: CallDep) -> Contacts:
    rows = await parts.contacts(call, id)
    return Contacts(data=[DealContactRead.model_validate(r) for r in rows])


@parts_router.put("/contacts", dependencies=WRITE)
async def set_deal_contacts(
    id: UUID,
    call: CallDep,
    body: Annotated[list[DealContactIn], Body(max_length=100)],
    if_match: IfMatchDep = None,
) -> Contacts:
    """The deal's contacts and their roles (the whole set)."""
    rows = await parts.set_contacts(call, id, body, if_match)
    return Contacts(data=[DealContactRead.model_validate(r) for r in rows])


@parts_router.get("/line-items", dependencies=READ)
async def deal_line_items(id: UUID, call: CallDep) -> LineItems:
    rows = await parts.line_items(call, id)
    return LineItems(data=[LineItemRead.model_validate(r) for r in rows])


@parts_router.put("/line-items", dependencies=WRITE)
async def set_deal_line_items(
    id: UUID,
    call: CallDep,
    body: Annotated[list[LineItemIn], Body(max_length=500)],
    if_match: IfMatchDep = None,
) -> LineItems:
    """The deal's products (the whole set)."""
    rows = await parts.set_line_items(call, id, body, if_match)
    return LineItems(data=[LineItemRead.model_validate(r) for r in rows])


routers = [router, parts_router]
