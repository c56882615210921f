from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from crm_chassis.repository import RowsRepository, TenantRepository
from sqlalchemy import delete, select, update

from sales_service.deals.models import Deal, DealContact, DealLineItem, DealStageChange


class DealRepository(TenantRepository[Deal]):
    model = Deal
    label = "deal"
    sortable = {
        "created_at": Deal.created_at,
        "expected_close_date": Deal.expected_close_date,
        "name": Deal.name,
    }

    async def any_in_stage(self, stage_id: UUID) -> bool:
        stmt = select(Deal.id).where(Deal.tenant_id == self.tenant_id, Deal.stage_id == stage_id)
        return (await self.session.execute(stmt.limit(1))).first() is not None

    async def follow_stage(
        self, stage_id: UUID, *, probability: int, forecast_category: str, won: bool | None
    ) -> None:
        """Every deal of the tenant in ``stage_id`` takes the stage's new figures (all of
        them, whoever sees them: a stage is the tenant's)."""
        stmt = (
            update(Deal)
            .where(Deal.tenant_id == self.tenant_id, Deal.stage_id == stage_id)
            .values(probability=probability, forecast_category=forecast_category, won=won)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def of_contacts(self, contact_ids: Sequence[UUID]) -> list[Deal]:
        return await self.list(self.select().where(Deal.contact_id.in_(list(contact_ids))))

    async def repoint_contact(self, old: Sequence[UUID], survivor: UUID) -> int:
        stmt = (
            update(Deal)
            .where(Deal.tenant_id == self.tenant_id, Deal.contact_id.in_(list(old)))
            .values(contact_id=survivor, version=Deal.version + 1)
            .execution_options(synchronize_session=False)
        )
        return int((await self.session.execute(stmt)).rowcount or 0)


class StageHistoryRepository(RowsRepository[DealStageChange]):
    model = DealStageChange

    async def of_deal(self, deal_id: UUID) -> list[DealStageChange]:
        stmt = self.select().where(DealStageChange.deal_id == deal_id)
        return await self.list(stmt.order_by(DealStageChange.changed_at, DealStageChange.id))


class DealContactRepository(RowsRepository[DealContact]):
    model = DealContact

    async def of_deal(self, deal_id: UUID) -> list[DealContact]:
        stmt = self.select().where(DealContact.deal_id == deal_id)
        return await self.list(stmt.order_by(DealContact.contact_id))

    async def replace(self, deal_id: UUID, rows: list[dict[str, object]]) -> None:
        await self.session.execute(
            delete(DealContact).where(
                DealContact.tenant_id == self.tenant_id, DealContact.deal_id == deal_id
            )
        )
        for row in rows:
            self.session.add(DealContact(tenant_id=self.tenant_id, deal_id=deal_id, **row))
        await self.session.flush()

    async def repoint(self, old: Sequence[UUID], survivor: UUID) -> None:
        """Roles of merged-away contacts move to the survivor (its own role kept)."""
        rows = await self.list(self.select().where(DealContact.contact_id.in_(list(old))))
        taken = set(
            (
                await self.session.execute(
                    select(DealContact.deal_id).where(
                        DealContact.tenant_id == self.tenant_id,
                        DealContact.contact_id == survivor,
                    )
                )
            ).scalars()
        )
        for row in rows:
            if row.deal_id in taken:
                await self.session.delete(row)
            else:
                taken.add(row.deal_id)
                row.contact_id = survivor
        await self.session.flush()

    async def erase_roles(self, contact_id: UUID) -> None:
        stmt = (
            update(DealContact)
            .where(DealContact.tenant_id == self.tenant_id, DealContact.contact_id == contact_id)
            .values(role=None)
        )
        await self.session.execute(stmt)


class LineItemRepository(RowsRepository[DealLineItem]):
    model = DealLineItem

    async def of_deal(self, deal_id: UUID) -> list[DealLineItem]:
        stmt = self.select().where(DealLineItem.deal_id == deal_id)
        return await self.list(stmt.order_by(DealLineItem.position))

    async def replace(self, deal_id: UUID, items: list[DealLineItem]) -> None:
        await self.session.execute(
            delete(DealLineItem).where(
                DealLineItem.tenant_id == self.tenant_id, DealLineItem.deal_id == deal_id
            )
        )
        self.session.add_all(items)
        await self.session.flush()
