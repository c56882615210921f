from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contacts_service.common.channels import ChannelError, promote, with_one_primary
from contacts_service.common.schemas import (
    EMAIL_PATTERN,
    PHONE_PATTERN,
    Address,
    EmailItem,
    PhoneItem,
    Strict,
    Tags,
)

T = TypeVar("T", bound=BaseModel)


class LifecycleStage(StrEnum):
    SUBSCRIBER = "subscriber"
    LEAD = "lead"
    MQL = "marketing_qualified_lead"
    SQL = "sales_qualified_lead"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    EVANGELIST = "evangelist"
    OTHER = "other"


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    DENIED = "denied"
    UNKNOWN = "unknown"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    POST = "post"
    WHATSAPP = "whatsapp"


Consent = dict[Channel, dict[str, ConsentStatus]]


class ContactWrite(Strict):
    """The writable fields of a contact; POST body, and the shape a PATCH merges into.

    ``email`` and ``phone`` are shortcuts for the primary entry of ``emails`` and
    ``phones``: setting one makes it primary (adding it when new); the lists are the truth.
    """

    DERIVED: ClassVar[dict[str, str]] = {"email": "emails", "phone": "phones"}

    first_name: str | None = Field(None, max_length=120)
    last_name: str | None = Field(None, max_length=120)
    title: str | None = Field(None, max_length=200)
    company: str | None = Field(None, max_length=255)
    email: str | None = Field(None, max_length=320, pattern=EMAIL_PATTERN)
    phone: str | None = Field(None, max_length=40, pattern=PHONE_PATTERN)
    emails: list[EmailItem] = Field(default_factory=list, max_length=20)
    phones: list[PhoneItem] = Field(default_factory=list, max_length=20)
    addresses: list[Address] = Field(default_factory=list, max_length=20)
    account_id: UUID | None = None
    owner_id: UUID | None = None
    team_id: UUID | None = None
    lifecycle_stage: LifecycleStage | None = None
    do_not_contact: bool = False
    consent: Consent = Field(default_factory=dict)
    membership_level: str | None = Field(None, max_length=60)
    member_since: date | None = None
    tags: Tags = Field(default_factory=list)
    custom: dict[str, Any] = Field(default_factory=dict)
    external_id: str | None = Field(None, max_length=255)

    @field_validator("emails")
    @classmethod
    def _one_primary_email(cls, v: list[EmailItem]) -> list[EmailItem]:
        return _one_primary(v, lambda i: i.email)

    @field_validator("phones")
    @classmethod
    def _one_primary_phone(cls, v: list[PhoneItem]) -> list[PhoneItem]:
        return _one_primary(v, lambda i: _digits(i.number))

    @field_validator("addresses")
    @classmethod
    def _one_primary_address(cls, v: list[Address]) -> list[Address]:
        return _one_primary(v, id)

    @model_validator(mode="after")
    def _reconcile(self) -> ContactWrite:
        for name in ("first_name", "last_name", "title", "company", "external_id"):
            if getattr(self, name) == "":
                setattr(self, name, None)
        if self.email:
            self.emails = with_one_primary(
                promote(
                    self.emails, lambda i: i.email, self.email.lower(), lambda v: EmailItem(email=v)
                ),
                lambda i: i.email,
            )
        if self.phone:
            phone = self.phone
            self.phones = with_one_primary(
                promote(
                    self.phones,
                    lambda i: _digits(i.number),
                    _digits(phone),
                    lambda _: PhoneItem(number=phone),
                ),
                lambda i: _digits(i.number),
            )
        self.email = self.emails[0].email if self.emails else None
        self.phone = self.phones[0].number if self.phones else None
        if not (self.first_name or self.last_name or self.emails or self.phones):
            raise ValueError("a contact needs a name, an email or a phone")
        return self


def _one_primary(items: list[T], key: Callable[[T], object]) -> list[T]:
    try:
        return with_one_primary(items, key)
    except ChannelError as exc:
        raise ValueError(str(exc)) from None


_NOT_DIGITS = re.compile(r"\D+")


def _digits(number: str) -> str:
    return _NOT_DIGITS.sub("", number)


class AccountLink(BaseModel):
    account_id: UUID
    role: str | None
    primary: bool


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    first_name: str | None
    last_name: str | None
    title: str | None
    company: str | None
    email: str | None
    phone: str | None
    emails: list[EmailItem]
    phones: list[PhoneItem]
    addresses: list[Address]
    account_id: UUID | None
    owner_id: UUID | None
    team_id: UUID | None = None
    lifecycle_stage: str | None
    do_not_contact: bool
    consent: dict[str, dict[str, str]]
    membership_level: str | None
    member_since: date | None
    tags: list[str]
    custom: dict[str, Any]
    external_id: str | None
    erased_at: datetime | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class ContactFilters(BaseModel):
    """The simple filters of ``GET /v1/contacts`` and the export; rich ones go through
    search."""

    email: str | None = Field(None, max_length=320)
    account_id: UUID | None = None
    owner_id: UUID | None = None
    team_id: UUID | None = None
    tag: str | None = Field(None, max_length=60)
    lifecycle_stage: LifecycleStage | None = None
    membership_level: str | None = Field(None, max_length=60)
