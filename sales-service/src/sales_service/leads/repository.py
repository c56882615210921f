from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_chassis.repository import TenantRepository
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sales_service.leads.models import Lead, LeadField, WebForm, WebFormHits


class LeadRepository(TenantRepository[Lead]):
    model = Lead
    label = "lead"
    sortable = {"created_at": Lead.created_at, "updated_at": Lead.updated_at}

    async def by_contact(self, contact_ids: list[UUID]) -> list[Lead]:
        return await self.list(self.select().where(Lead.converted_contact_id.in_(contact_ids)))


class LeadFieldRepository(TenantRepository[LeadField]):
    model = LeadField
    label = "lead field"
    sortable = {"created_at": LeadField.created_at, "key": LeadField.key}


class WebFormRepository(TenantRepository[WebForm]):
    model = WebForm
    label = "web form"


class PublicForms:
    """The one unscoped lookup: a public form is found by its key before any tenant is
    known (the key is the tenant's); then it counts the form's submissions per minute."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_key(self, key: str) -> WebForm | None:
        stmt = select(WebForm).where(WebForm.key == key)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def count_hit(self, form_id: UUID, minute: datetime) -> int:
        """This minute's submissions of the form, this one included (atomic)."""
        insert_hit = insert(WebFormHits).values(form_id=form_id, minute=minute, hits=1)
        stmt = insert_hit.on_conflict_do_update(
            index_elements=[WebFormHits.form_id, WebFormHits.minute],
            set_={"hits": WebFormHits.hits + 1},
        ).returning(WebFormHits.hits)
        return int((await self.session.execute(stmt)).scalar_one())

    async def forget_before(self, minute: datetime) -> None:
        await self.session.execute(
            WebFormHits.__table__.delete().where(WebFormHits.minute < minute)  # type: ignore[attr-defined]
        )
