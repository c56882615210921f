from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

from crm_chassis.money import canonical
from crm_chassis.repository import RowsRepository, TenantRepository
from crm_proto.money import Money
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on, insert

from sales_service.products.models import ExchangeRate, PriceBook, PriceBookEntry, Product


class ProductRepository(TenantRepository[Product]):
    model = Product
    label = "product"
    sortable = {"created_at": Product.created_at, "sku": Product.sku}

    async def by_skus(self, skus: Sequence[str]) -> dict[str, Product]:
        rows = await self.list(self.select().where(Product.sku.in_(list(skus))))
        return {p.sku: p for p in rows}


class PriceBookRepository(TenantRepository[PriceBook]):
    model = PriceBook
    label = "price book"

    async def default(self) -> PriceBook | None:
        stmt = self.select().where(PriceBook.is_default).order_by(PriceBook.created_at).limit(1)
        return (await self.session.execute(stmt)).scalar_one_or_none()


class PriceRepository(RowsRepository[PriceBookEntry]):
    model = PriceBookEntry

    async def set_prices(self, book_id: UUID, prices: list[tuple[UUID, Money]]) -> None:
        if not prices:
            return
        rows = [
            {"tenant_id": self.tenant_id, "price_book_id": book_id, "product_id": p,
             "currency": m.currency, "unit_price": m.amount}
            for p, m in prices
        ]  # fmt: skip
        stmt = insert(PriceBookEntry).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["price_book_id", "product_id", "currency"],
            set_={"unit_price": stmt.excluded.unit_price},
        )
        await self.session.execute(stmt)

    async def of_book(self, book_id: UUID, currency: str | None = None) -> list[PriceBookEntry]:
        stmt = self.select().where(PriceBookEntry.price_book_id == book_id)
        if currency is not None:
            stmt = stmt.where(PriceBookEntry.currency == currency)
        return await self.list(stmt.order_by(PriceBookEntry.product_id))

    async def default_price(self, product_id: UUID, currency: str) -> Money | None:
        stmt = (
            select(PriceBookEntry.unit_price)
            .join(PriceBook, PriceBook.id == PriceBookEntry.price_book_id)
            .where(
                PriceBookEntry.tenant_id == self.tenant_id,
                PriceBook.tenant_id == self.tenant_id,
                PriceBook.is_default,
                PriceBookEntry.product_id == product_id,
                PriceBookEntry.currency == currency,
            )
            .limit(1)
        )
        amount = (await self.session.execute(stmt)).scalar_one_or_none()
        return None if amount is None else Money.of(canonical(amount, currency), currency)


class RateRepository(RowsRepository[ExchangeRate]):
    model = ExchangeRate

    async def put(self, rows: list[dict[str, object]]) -> None:
        if not rows:
            return
        stmt = insert(ExchangeRate).values([{**r, "tenant_id": self.tenant_id} for r in rows])
        stmt = stmt.on_conflict_do_update(
            index_elements=["tenant_id", "currency", "reporting_currency", "valid_from"],
            set_={"rate": stmt.excluded.rate},
        )
        await self.session.execute(stmt)

    async def all(self) -> list[ExchangeRate]:
        stmt = self.select().order_by(
            ExchangeRate.reporting_currency, ExchangeRate.currency, ExchangeRate.valid_from
        )
        return await self.list(stmt)

    async def on(self, reporting: str, day: date) -> dict[str, tuple[Decimal, date]]:
        """Per currency, the rate into ``reporting`` valid on ``day`` and since when."""
        stmt = (
            select(ExchangeRate.currency, ExchangeRate.rate, ExchangeRate.valid_from)
            .where(
                ExchangeRate.tenant_id == self.tenant_id,
                ExchangeRate.reporting_currency == reporting,
                ExchangeRate.valid_from <= day,
            )
            .order_by(ExchangeRate.currency, ExchangeRate.valid_from.desc())
            .ext(distinct_on(ExchangeRate.currency))
        )
        return {c: (r, v) for c, r, v in (await self.session.execute(stmt)).all()}
