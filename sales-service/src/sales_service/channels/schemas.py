from __future__ import annotations

from typing import Literal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from pydantic import BaseModel, ConfigDict, Field


class PartnerWrite(Strict):
    """A channel partner: a contacts account (``account_id``) of a partner type, its tier,
    and its place in the channel: level 1 sells to customers, a level-2 partner sells
    through its level-1 ``parent_id``, and so on to level 3."""

    account_id: UUID
    name: str = Field(min_length=1, max_length=255)
    type: Literal["partner", "reseller", "distributor"] = "partner"
    tier: Literal["registered", "silver", "gold", "platinum"] = "registered"
    level: int = Field(1, ge=1, le=3)
    parent_id: UUID | None = None


class PartnerRead(PartnerWrite, EntityRead):
    pass


class RegistrationWrite(Strict):
    partner_id: UUID
    account_id: UUID
    """The customer account the partner claims."""
    name: str = Field(min_length=1, max_length=255)
    deal_id: UUID | None = None


class RegistrationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    partner_id: UUID
    account_id: UUID
    deal_id: UUID | None
    name: str
    status: str
    conflicts_with: UUID | None
    version: int
