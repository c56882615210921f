from __future__ import annotations

from datetime import date
from typing import Any, Literal

from crm_chassis.repository import TenantRepository
from sqlalchemy import Date, cast, func

from sales_service.deals.models import Deal
from sales_service.forecast.models import Quota


class ForecastRepository(TenantRepository[Deal]):
    """Sums of the deals the caller may see, by period, owner, category and currency."""

    model = Deal

    async def buckets(
        self, start: date, end: date, period: Literal["month", "quarter"]
    ) -> list[Any]:
        bucket = cast(func.date_trunc(period, Deal.expected_close_date), Date).label("period")
        stmt = (
            self.select(
                bucket,
                Deal.owner_id,
                Deal.forecast_category,
                Deal.amount_currency,
                func.count().label("deals"),
                func.sum(Deal.amount_amount).label("amount"),
                func.sum(Deal.amount_amount * Deal.probability).label("weighted_x100"),
            )
            .where(
                Deal.expected_close_date >= start,
                Deal.expected_close_date < end,
                Deal.amount_amount.is_not(None),
            )
            .group_by(bucket, Deal.owner_id, Deal.forecast_category, Deal.amount_currency)
        )
        return list((await self.session.execute(stmt)).all())

    async def won(self, start: date, end: date) -> list[Any]:
        """Closed-won amounts per owner and currency with a close date in the period."""
        stmt = (
            self.select(Deal.owner_id, Deal.amount_currency, func.sum(Deal.amount_amount))
            .where(
                Deal.won.is_(True),
                Deal.expected_close_date >= start,
                Deal.expected_close_date < end,
                Deal.amount_amount.is_not(None),
            )
            .group_by(Deal.owner_id, Deal.amount_currency)
        )
        return list((await self.session.execute(stmt)).all())


class QuotaRepository(TenantRepository[Quota]):
    model = Quota
    label = "quota"

    async def of_period(self, period: str) -> list[Quota]:
        return await self.list(self.select().where(Quota.period == period))
