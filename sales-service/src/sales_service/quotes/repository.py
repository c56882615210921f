from __future__ import annotations

from datetime import date

from crm_chassis.repository import TenantRepository
from sqlalchemy import func, select

from sales_service.deals.models import Deal
from sales_service.quotes.models import Quote


class QuoteRepository(TenantRepository[Quote]):
    """Quotes are seen through their deal: a deal one may not see hides its quotes."""

    model = Quote
    label = "quote"
    parents = ((Quote.deal_id, Deal),)

    async def last_revision(self, number: str) -> int:
        stmt = select(func.max(Quote.revision)).where(
            Quote.tenant_id == self.tenant_id, Quote.number == number
        )
        return int((await self.session.execute(stmt)).scalar_one() or 0)

    async def sent_expired_by(self, day: date) -> list[Quote]:
        stmt = self.select().where(Quote.state == "sent", Quote.valid_until < day)
        return await self.list(stmt.with_for_update(skip_locked=True))
