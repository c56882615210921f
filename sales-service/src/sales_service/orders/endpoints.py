from typing import Any
from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.batches import json_body, paused_gc
from crm_chassis.crud import CallDep
from crm_chassis.errors import ValidationFailed
from crm_chassis.openapi import inline_schema
from crm_chassis.pagination import Page, PageParamsDep
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from sales_service.orders import service
from sales_service.orders.ledger import LedgerRepository
from sales_service.orders.models import LedgerEntry
from sales_service.orders.repository import OrderRepository
from sales_service.orders.schemas import (
    ImportResult,
    LedgerEntryIn,
    LedgerEntryRead,
    OrderImportItem,
    OrderRead,
)

READ, WRITE = [require_scope("sales:read")], [require_scope("sales:write")]
router = APIRouter(tags=["orders"])
BATCH_BODY = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "items": {
                            "type": "array",
                            "maxItems": 1000,
                            "items": inline_schema(OrderImportItem),
                        }
                    },
                }
            }
        }
    }
}


class Ledger(BaseModel):
    data: list[LedgerEntryRead]
    balances: dict[str, str]


def _entry(entry: LedgerEntry) -> LedgerEntryRead:
    return LedgerEntryRead(
        id=entry.id,
        kind=entry.kind,
        currency=entry.currency,
        debit=format(entry.debit, "f"),
        credit=format(entry.credit, "f"),
        balance=format(entry.balance, "f"),
        order_id=entry.order_id,
        corrects_id=entry.corrects_id,
        reference=entry.reference,
        created_at=entry.created_at,
    )


@router.get("/v1/orders", dependencies=READ, response_model=Page[OrderRead])
async def list_orders(call: CallDep, page: PageParamsDep) -> Response:
    return service.VIEW.page(
        call.actor, *await OrderRepository(call.session, call.actor).page(page)
    )


@router.get("/v1/orders/{id:uuid}", dependencies=READ, response_model=OrderRead)
async def get_order(id: UUID, call: CallDep) -> Response:
    return service.VIEW.one(call.actor, await OrderRepository(call.session, call.actor).require(id))


@router.post(
    "/v1/orders/batch",
    dependencies=WRITE,
    openapi_extra=BATCH_BODY,
    responses={200: {"model": ImportResult}},
)
async def import_orders(request: Request, call: CallDep) -> Response:
    """Import up to 1,000 orders; idempotent by ``external_id``; one result per item."""
    with paused_gc():
        parsed = service.parse_batch(await request.body())
        if parsed is None:  # something in it is invalid: each item (or the body) answered
            parsed = service.parse_items(await _items(request))
        result = ImportResult(data=await service.import_batch(call, parsed))
    # Dumped as it is (built from validated values), not validated again as a return value.
    return Response(result.model_dump_json(), media_type="application/json")


async def _items(request: Request) -> list[Any]:
    body = await json_body(request)  # a 400 problem when it is not JSON
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ValidationFailed(
            'The body is {"items": [...]}',
            errors=[{"field": "items", "message": "must be a list of orders"}],
        )
    return items


@router.get("/v1/ledgers/{account_id:uuid}", dependencies=READ)
async def account_ledger(account_id: UUID, call: CallDep) -> Ledger:
    """The account's entries, oldest first, each with the running balance after it."""
    repo = LedgerRepository(call.session, call.actor)
    entries = await repo.of_account(account_id)
    balances = await repo.balances(account_id)
    return Ledger(
        data=[_entry(e) for e in entries],
        balances={c: format(b, "f") for c, b in balances.items()},
    )


@router.post("/v1/ledgers/{account_id:uuid}/entries", dependencies=WRITE, status_code=201)
async def post_ledger_entry(
    account_id: UUID, body: LedgerEntryIn, call: CallDep
) -> LedgerEntryRead:
    """A payment, credit or debit note, or a correction: a new entry, never an edit."""
    return _entry(await service.post_entry(call, account_id, body))
