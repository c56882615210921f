"""All SQL of webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.ids import new_id
from crm_chassis.orm import utcnow
from crm_chassis.pagination import PageParams, apply_keyset, page_of
from crm_chassis.repository import TenantRepository
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_gateway.webhooks.models import Attempt, Delivery, Webhook


class WebhookRepository(TenantRepository[Webhook]):
    model = Webhook
    label = "webhook"
    sortable = {"created_at": Webhook.created_at}

    async def enabled(self) -> list[Webhook]:
        """The tenant's enabled subscriptions (the dispatcher matches their filters)."""
        stmt = self.select().where(Webhook.disabled_at.is_(None))
        return list((await self.session.execute(stmt)).scalars())


async def enabled_of_tenants(session: AsyncSession, tenant_ids: list[UUID]) -> list[Webhook]:
    """The enabled subscriptions of the tenants of a batch of events: the dispatcher's one
    query per batch, scoped by the tenants the events belong to."""
    stmt = select(Webhook).where(Webhook.tenant_id.in_(tenant_ids), Webhook.disabled_at.is_(None))
    return list((await session.execute(stmt)).scalars())


class DeliveryRepository:
    """Deliveries and attempts; every query is scoped by the subscription, itself found
    through :class:`WebhookRepository` (so by tenant) or by a job the gateway scheduled."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Delivery | Attempt) -> None:
        self.session.add(row)
        await self.session.flush()

    async def insert_new(self, **values: Any) -> UUID | None:
        """Insert a pending delivery unless one of the same event and subscription exists
        (one statement); its id, or None."""
        stmt = (
            insert(Delivery)
            .values(id=new_id(), state="pending", attempts=0, created_at=utcnow(), **values)
            .on_conflict_do_nothing(index_elements=[Delivery.webhook_id, Delivery.event_id])
            .returning(Delivery.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def for_update(self, delivery_id: UUID) -> Delivery | None:
        stmt = select(Delivery).where(Delivery.id == delivery_id).with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def of_webhook(
        self, webhook_id: UUID, delivery_id: UUID, *, for_update: bool = False
    ) -> Delivery | None:
        """Locked with ``for_update``: waits for an attempt in flight, and reads its end."""
        stmt = select(Delivery).where(Delivery.webhook_id == webhook_id, Delivery.id == delivery_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def in_range(self, webhook_id: UUID, since: datetime, until: datetime) -> list[Delivery]:
        stmt = (
            select(Delivery)
            .where(
                Delivery.webhook_id == webhook_id,
                Delivery.created_at >= since,
                Delivery.created_at < until,
            )
            .with_for_update()
        )
        return list((await self.session.execute(stmt)).scalars())

    async def page(self, webhook_id: UUID, params: PageParams) -> tuple[list[Delivery], str | None]:
        stmt = select(Delivery).where(Delivery.webhook_id == webhook_id)
        stmt, sort = apply_keyset(
            stmt, params, sortable={"created_at": Delivery.created_at}, id_column=Delivery.id
        )
        rows = (await self.session.execute(stmt)).scalars().all()
        return page_of(rows, params, sort, lambda r: (r.created_at, r.id))

    async def attempts(self, delivery_ids: list[UUID]) -> dict[UUID, list[Attempt]]:
        if not delivery_ids:
            return {}
        stmt = (
            select(Attempt)
            .where(Attempt.delivery_id.in_(delivery_ids))
            .order_by(Attempt.at.desc(), Attempt.id.desc())
        )
        found: dict[UUID, list[Attempt]] = {}
        for attempt in (await self.session.execute(stmt)).scalars():
            found.setdefault(attempt.delivery_id, []).append(attempt)
        return found
