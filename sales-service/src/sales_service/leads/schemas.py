from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from crm_proto.money import Money
from pydantic import BaseModel, ConfigDict, Field

from sales_service.common.money import Price

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Status = Literal["new", "working", "qualified", "disqualified"]


class Qualification(Strict):
    """BANT: budget, authority, need, timeline."""

    budget: Price | None = None
    authority: bool | None = None
    need: str | None = Field(None, max_length=2000)
    timeline: str | None = Field(None, max_length=200)


class LeadWrite(Strict):
    """The writable fields of a lead (``converted`` comes only from converting)."""

    first_name: str | None = Field(None, max_length=120)
    last_name: str | None = Field(None, max_length=120)
    email: str | None = Field(None, max_length=320, pattern=EMAIL)
    phone: str | None = Field(None, max_length=40, pattern=r"^[0-9+() .\-/]{3,40}$")
    company: str | None = Field(None, max_length=255)
    title: str | None = Field(None, max_length=200)
    website: str | None = Field(None, max_length=500, pattern=r"^https?://\S+$")
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    territory: str | None = Field(None, max_length=60)
    source: str | None = Field(None, max_length=60)
    status: Status = "new"
    rating: Literal["hot", "warm", "cold"] | None = None
    estimated_value: Price | None = None
    qualification: Qualification = Field(default_factory=Qualification)
    disqualified_reason: str | None = Field(None, max_length=500)
    custom: dict[str, Any] = Field(default_factory=dict)
    owner_id: UUID | None = None
    team_id: UUID | None = None


class LeadRead(EntityRead):
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    company: str | None
    title: str | None
    website: str | None
    country: str | None
    territory: str | None
    source: str | None
    status: str
    rating: str | None
    estimated_value: Money | None
    qualification: dict[str, Any]
    disqualified_reason: str | None
    custom: dict[str, Any]
    owner_id: UUID | None
    team_id: UUID | None
    web_form_id: UUID | None
    converted_at: datetime | None
    converted_account_id: UUID | None
    converted_contact_id: UUID | None
    converted_deal_id: UUID | None


class AssignmentExplained(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    lead_id: UUID
    owner_id: UUID | None
    rule_id: UUID | None = None
    rule_name: str | None = None
    queue_id: UUID | None = None
    reasons: list[str] = []
    assigned_at: datetime | None = None


FieldKind = Literal["text", "number", "bool", "date", "enum"]


class LeadFieldWrite(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    label: str = Field(min_length=1, max_length=200)
    kind: FieldKind
    options: list[str] = Field(default_factory=list, max_length=100)


class LeadFieldRead(LeadFieldWrite, EntityRead):
    pass


class WebFormWrite(Strict):
    name: str = Field(min_length=1, max_length=200)
    source: str = Field("web_form", min_length=1, max_length=60)
    per_minute: int = Field(30, ge=1, le=10_000)
    honeypot: str = Field("website_url", pattern=r"^[a-z_]{1,60}$")


class WebFormRead(WebFormWrite, EntityRead):
    key: str


class WebFormSubmission(BaseModel):
    """What a public form posts: the lead's contact fields (and a honeypot field a
    person never fills)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    first_name: str | None = Field(None, max_length=120)
    last_name: str | None = Field(None, max_length=120)
    email: str = Field(max_length=320, pattern=EMAIL)
    phone: str | None = Field(None, max_length=40, pattern=r"^[0-9+() .\-/]{3,40}$")
    company: str | None = Field(None, max_length=255)
    title: str | None = Field(None, max_length=200)
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    message: str | None = Field(None, max_length=4000)
