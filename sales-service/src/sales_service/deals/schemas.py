from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from crm_proto.money import Money
from pydantic import BaseModel, ConfigDict, Field

from sales_service.common.money import Percent, Price, Quantity


class DealWrite(Strict):
    """A deal; ``stage_id`` defaults to the pipeline's first stage."""

    name: str = Field(min_length=1, max_length=255)
    pipeline_id: UUID
    stage_id: UUID | None = None
    amount: Price | None = None
    expected_close_date: date | None = None
    account_id: UUID | None = None
    contact_id: UUID | None = None
    lead_id: UUID | None = None
    partner_id: UUID | None = None
    owner_id: UUID | None = None
    team_id: UUID | None = None


class DealRead(EntityRead):
    name: str
    pipeline_id: UUID
    stage_id: UUID
    amount: Money | None
    expected_close_date: date | None
    account_id: UUID | None
    contact_id: UUID | None
    lead_id: UUID | None
    partner_id: UUID | None
    owner_id: UUID | None
    team_id: UUID | None
    probability: int
    forecast_category: str
    won: bool | None
    closed_at: datetime | None
    stage_entered_at: datetime
    rotting_since: datetime | None


class StageChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_stage_id: UUID | None
    to_stage_id: UUID
    changed_by: UUID
    changed_at: datetime


class DealContactIn(Strict):
    contact_id: UUID
    role: str | None = Field(None, max_length=60)


class DealContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    contact_id: UUID
    role: str | None


class LineItemIn(Strict):
    product_id: UUID
    quantity: Quantity
    unit_price: Price | None = None
    """The deal currency's list price of the default price book when absent."""
    discount_percent: Percent = Decimal(0)
    tax_rate: Percent = Decimal(0)


class LineItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: UUID | None
    name: str
    quantity: Decimal
    unit_price: Money
    discount_percent: Decimal
    tax_rate: Decimal
