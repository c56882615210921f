from typing import Annotated
from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.crud_routes import crud_router
from fastapi import APIRouter, Body, Query
from pydantic import BaseModel

from sales_service.products import service
from sales_service.products.schemas import PriceIn, PriceRead, RateIn, RateRead

READ, WRITE = [require_scope("sales:read")], [require_scope("sales:write")]

products_router = crud_router(service.PRODUCTS, scope="sales", tags=["products"])
price_books_router = crud_router(service.PRICE_BOOKS, scope="sales", tags=["products"])
router = APIRouter(tags=["products"])


class Prices(BaseModel):
    data: list[PriceRead]


class Rates(BaseModel):
    data: list[RateRead]


@router.put("/v1/price-books/{id:uuid}/prices", dependencies=WRITE)
async def set_prices(
    id: UUID, call: CallDep, body: Annotated[list[PriceIn], Body(max_length=1000)]
) -> Prices:
    """Set list prices (one per product and currency; others are kept)."""
    return Prices(data=await service.set_prices(call, id, body))


@router.get("/v1/price-books/{id:uuid}/prices", dependencies=READ)
async def list_prices(
    id: UUID, call: CallDep, currency: Annotated[str | None, Query(pattern="^[A-Z]{3}$")] = None
) -> Prices:
    return Prices(data=await service.prices_of(call, id, currency))


@router.put("/v1/exchange-rates", dependencies=WRITE)
async def put_rates(call: CallDep, body: Annotated[list[RateIn], Body(max_length=1000)]) -> Rates:
    """Add or correct dated exchange rates; every rate ever set is kept."""
    rows = await service.put_rates(call, body)
    return Rates(data=[RateRead.model_validate(r) for r in rows])


@router.get("/v1/exchange-rates", dependencies=READ)
async def list_rates(call: CallDep) -> Rates:
    return Rates(data=[RateRead.model_validate(r) for r in await service.put_rates(call, [])])


routers = [products_router, price_books_router, router]
