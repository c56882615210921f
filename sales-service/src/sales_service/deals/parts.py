"""A deal's contacts with their roles, and its line items from the catalogue."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from crm_chassis.crud import Call, load_for_update
from crm_chassis.errors import ValidationFailed
from crm_chassis.ids import new_id
from crm_chassis.outbox import emit
from sqlalchemy.orm.attributes import flag_modified

from sales_service.deals import events
from sales_service.deals.models import Deal, DealContact, DealLineItem
from sales_service.deals.repository import (
    DealContactRepository,
    DealRepository,
    LineItemRepository,
)
from sales_service.deals.schemas import DealContactIn, LineItemIn
from sales_service.products.repository import PriceRepository, ProductRepository


async def contacts(call: Call, deal_id: UUID) -> list[DealContact]:
    await DealRepository(call.session, call.actor).require(deal_id)
    return await DealContactRepository(call.session, call.actor).of_deal(deal_id)


async def set_contacts(
    call: Call, deal_id: UUID, rows: list[DealContactIn], if_match: str | None
) -> list[DealContact]:
    deal = await load_for_update(DealRepository(call.session, call.actor), deal_id, if_match)
    ids = [r.contact_id for r in rows]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(
            "A contact is named twice", errors=[{"field": "body", "message": "duplicate"}]
        )
    repo = DealContactRepository(call.session, call.actor)
    await repo.replace(deal_id, [r.model_dump() for r in rows])
    if deal.contact_id is None and rows:
        deal.contact_id = rows[0].contact_id
    await _bump(call, deal, "contacts")
    return await repo.of_deal(deal_id)


async def _bump(call: Call, deal: Deal, changed: str) -> None:
    """A new version of the deal (its ETag moves) for a change of its parts."""
    flag_modified(deal, "name")
    await call.session.flush()
    await emit(call.session, events.updated(deal, [changed]))


async def line_items(call: Call, deal_id: UUID) -> list[DealLineItem]:
    await DealRepository(call.session, call.actor).require(deal_id)
    return await LineItemRepository(call.session, call.actor).of_deal(deal_id)


async def set_line_items(
    call: Call, deal_id: UUID, items: list[LineItemIn], if_match: str | None
) -> list[DealLineItem]:
    """Replace the deal's lines; a line without a price takes the default price book's
    list price in the deal's currency."""
    deal = await load_for_update(DealRepository(call.session, call.actor), deal_id, if_match)
    products = {
        p.id: p
        for p in await ProductRepository(call.session, call.tenant_id).get_many(
            [i.product_id for i in items]
        )
    }
    currency = deal.amount.currency if deal.amount else None
    errors, rows = [], []
    for n, item in enumerate(items):
        product = products.get(item.product_id)
        if product is None:
            errors.append({"field": f"[{n}].product_id", "message": "no such product"})
            continue
        price = item.unit_price
        if price is None and currency is not None:
            price = await PriceRepository(call.session, call.tenant_id).default_price(
                product.id, currency
            )
        if price is None:
            errors.append({"field": f"[{n}].unit_price", "message": "no list price; give one"})
            continue
        if currency is not None and price.currency != currency:
            errors.append({"field": f"[{n}].unit_price", "message": f"must be in {currency}"})
            continue
        rows.append(
            DealLineItem(
                id=new_id(), tenant_id=call.tenant_id, deal_id=deal_id, position=n,
                product_id=product.id, name=product.name, quantity=item.quantity,
                unit_price=price, discount_percent=item.discount_percent or Decimal(0),
                tax_rate=item.tax_rate or Decimal(0),
            )
        )  # fmt: skip
    if errors:
        raise ValidationFailed("The line items did not validate", errors=errors)
    await LineItemRepository(call.session, call.actor).replace(deal_id, rows)
    await _bump(call, deal, "line_items")
    return rows
