from __future__ import annotations

from datetime import date
from uuid import UUID

from crm_chassis.schemas import Strict
from pydantic import Field

from sales_service.common.money import Price


class AccountChoice(Strict):
    """An existing account (``id``, from the duplicate check) or a new one (``name``,
    the lead's company by default)."""

    id: UUID | None = None
    name: str | None = Field(None, min_length=1, max_length=255)


class ContactChoice(Strict):
    """An existing contact to merge the lead into (``id``), or a new one (empty)."""

    id: UUID | None = None


class DealChoice(Strict):
    name: str | None = Field(None, min_length=1, max_length=255)
    pipeline_id: UUID
    stage_id: UUID | None = None
    amount: Price | None = None
    expected_close_date: date | None = None


class ConvertRequest(Strict):
    """``account: null`` converts without an account; ``deal`` absent, without a deal."""

    account: AccountChoice | None = Field(default_factory=AccountChoice)
    contact: ContactChoice = Field(default_factory=ContactChoice)
    deal: DealChoice | None = None
