"""Events published by contacts-service."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from crm_proto.registry import event_type


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountSnapshot(_Payload):
    id: UUID
    name: str
    domain: str | None = None
    industry: str | None = None
    owner_id: UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class ContactSnapshot(_Payload):
    id: UUID
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    account_id: UUID | None = None
    owner_id: UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.contacts.account.created.v1")
class AccountCreated(_Payload):
    """An account (company) was created."""

    account: AccountSnapshot


@event_type("crm.contacts.account.updated.v1")
class AccountUpdated(_Payload):
    """An account changed; ``changed`` names the fields that did."""

    account: AccountSnapshot
    changed: list[str]


@event_type("crm.contacts.account.deleted.v1")
class AccountDeleted(_Payload):
    """An account was deleted."""

    id: UUID


@event_type("crm.contacts.contact.created.v1")
class ContactCreated(_Payload):
    """A contact (person) was created."""

    contact: ContactSnapshot


@event_type("crm.contacts.contact.updated.v1")
class ContactUpdated(_Payload):
    """A contact changed; ``changed`` names the fields that did."""

    contact: ContactSnapshot
    changed: list[str]


@event_type("crm.contacts.contact.deleted.v1")
class ContactDeleted(_Payload):
    """A contact was deleted."""

    id: UUID
