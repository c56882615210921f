"""Catalogue use cases (S6): products, price books and their list prices, exchange rates."""

from __future__ import annotations

from uuid import UUID

from crm_chassis.crud import Call, Crud, View
from crm_chassis.errors import ValidationFailed
from crm_chassis.money import canonical
from crm_chassis.outbox import emit
from crm_proto.events import sales
from crm_proto.money import Money

from sales_service.common.events import SOURCE, lifecycle_events
from sales_service.products.models import ExchangeRate
from sales_service.products.repository import (
    PriceBookRepository,
    PriceRepository,
    ProductRepository,
    RateRepository,
)
from sales_service.products.schemas import (
    PriceBookRead,
    PriceBookWrite,
    PriceIn,
    PriceRead,
    ProductRead,
    ProductWrite,
    RateIn,
)

PRODUCTS = Crud(
    ProductRepository, View("product", ProductRead, path="/v1/products"), ProductWrite,
    lifecycle_events("product"),
)  # fmt: skip
PRICE_BOOKS = Crud(
    PriceBookRepository, View("price_book", PriceBookRead, path="/v1/price-books"),
    PriceBookWrite, lifecycle_events("price_book"),
)  # fmt: skip


async def set_prices(call: Call, book_id: UUID, prices: list[PriceIn]) -> list[PriceRead]:
    book = await PriceBookRepository(call.session, call.actor).require(book_id)
    ids = [p.product_id for p in prices]
    known = await ProductRepository(call.session, call.actor).visible_ids(ids)
    errors = [
        {"field": f"[{n}].product_id", "message": "no such product"}
        for n, p in enumerate(prices)
        if p.product_id not in known
    ]
    if errors:
        raise ValidationFailed("Unknown products", errors=errors)
    await PriceRepository(call.session, call.actor).set_prices(
        book.id, [(p.product_id, p.unit_price) for p in prices]
    )
    data = sales.PriceBookPricesSet(
        price_book_id=book.id, prices=[p.model_dump(mode="json") for p in prices]
    )
    await emit(
        call.session,
        SOURCE.event(
            "crm.sales.price_book.prices_set.v1", data, tenant_id=call.tenant_id, subject=book.id
        ),
    )
    return await prices_of(call, book_id)


async def prices_of(call: Call, book_id: UUID, currency: str | None = None) -> list[PriceRead]:
    await PriceBookRepository(call.session, call.actor).require(book_id)
    rows = await PriceRepository(call.session, call.actor).of_book(book_id, currency)
    return [
        PriceRead(
            product_id=r.product_id,
            unit_price=Money.of(canonical(r.unit_price, r.currency), r.currency),
        )
        for r in rows
    ]


async def put_rates(call: Call, rates: list[RateIn]) -> list[ExchangeRate]:
    """Add or correct ``rates``, announced in one event; every rate of the tenant."""
    repo = RateRepository(call.session, call.actor)
    if rates:
        await repo.put([r.model_dump() for r in rates])
        data = sales.ExchangeRatesSet(rates=[r.model_dump(mode="json") for r in rates])
        await emit(
            call.session,
            SOURCE.event("crm.sales.exchange_rates.set.v1", data, tenant_id=call.tenant_id),
        )
    return await repo.all()
