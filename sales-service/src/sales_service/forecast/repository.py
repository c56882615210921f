from __future__ import annotations

from datetime import date
from typing import Any

from crm_chassis.repository import TenantRepository
from sqlalchemy import func, or_, select

from sales_service.deals.models import Deal
from sales_service.forecast.models import ForecastCell, Quota


class ForecastRepository(TenantRepository[Deal]):
    """Sums of the deals the caller may see, by period, owner, category and currency."""

    model = Deal

    async def buckets(self, start: date, end: date) -> list[Any]:
        """The forecast cells of the months from ``start`` to before ``end`` that the
        caller may see (their owner's or their team's, as deals are)."""
        cell = ForecastCell
        stmt = select(
            cell.month,
            cell.owner_key,
            cell.forecast_category,
            cell.currency,
            cell.deals,
            cell.amount,
            cell.weighted_x100,
        ).where(
            cell.tenant_id == self.tenant_id,
            cell.month >= start,
            cell.month < end,
            cell.deals > 0,
        )
        actor = self.actor
        if not actor.sees_all:
            mine = cell.owner_key == actor.user_id
            if actor.visibility == "team" and actor.team_ids:
                mine = or_(mine, cell.team_key.in_(sorted(actor.team_ids)))
            stmt = stmt.where(mine)
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
