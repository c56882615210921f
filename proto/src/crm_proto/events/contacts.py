"""Events published by contacts-service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from crm_proto.registry import event_type


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmailEntry(_Payload):
    email: str
    label: str | None = None
    primary: bool = False


class PhoneEntry(_Payload):
    number: str
    e164: str | None = None
    label: str | None = None
    primary: bool = False


class AddressEntry(_Payload):
    label: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    primary: bool = False


class AccountSnapshot(_Payload):
    id: UUID
    name: str
    domain: str | None = None
    industry: str | None = None
    type: str | None = None
    employees: int | None = None
    website: str | None = None
    phone: str | None = None
    address: AddressEntry | None = None
    parent_id: UUID | None = None
    owner_id: UUID | None = None
    tags: list[str] = []
    custom: dict[str, Any] = {}
    external_id: str | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class ContactSnapshot(_Payload):
    id: UUID
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    emails: list[EmailEntry] = []
    phones: list[PhoneEntry] = []
    addresses: list[AddressEntry] = []
    account_id: UUID | None = None
    owner_id: UUID | None = None
    lifecycle_stage: str | None = None
    do_not_contact: bool = False
    consent: dict[str, dict[str, str]] = {}
    membership_level: str | None = None
    member_since: date | None = None
    tags: list[str] = []
    custom: dict[str, Any] = {}
    external_id: str | None = None
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


@event_type("crm.contacts.contact.consent_changed.v1")
class ContactConsentChanged(_Payload):
    """A contact's consent for a channel and purpose, or do-not-contact, changed (C10)."""

    contact_id: UUID
    do_not_contact: bool
    changes: list[ConsentChange]


class ConsentChange(_Payload):
    channel: str
    purpose: str
    status: str
    previous: str | None = None


@event_type("crm.contacts.contact_account.linked.v1")
class ContactAccountLinked(_Payload):
    """A contact was linked to an account, with a role (or its link changed)."""

    contact_id: UUID
    account_id: UUID
    role: str | None = None
    primary: bool = False


@event_type("crm.contacts.contact_account.unlinked.v1")
class ContactAccountUnlinked(_Payload):
    """A contact's link to an account was removed."""

    contact_id: UUID
    account_id: UUID


class CustomFieldSnapshot(_Payload):
    id: UUID
    object_type: str
    key: str
    label: str
    type: str
    options: list[str] = []
    required: bool = False
    version: int


@event_type("crm.contacts.custom_field.created.v1")
class CustomFieldCreated(_Payload):
    """A tenant defined a custom field."""

    field: CustomFieldSnapshot


@event_type("crm.contacts.custom_field.updated.v1")
class CustomFieldUpdated(_Payload):
    """A custom field definition changed."""

    field: CustomFieldSnapshot
    changed: list[str]


@event_type("crm.contacts.custom_field.deleted.v1")
class CustomFieldDeleted(_Payload):
    """A custom field definition was deleted; its values were removed from every record."""

    id: UUID
    object_type: str
    key: str


class ListSnapshot(_Payload):
    id: UUID
    name: str
    object_type: str
    description: str | None = None
    version: int


@event_type("crm.contacts.list.created.v1")
class ListCreated(_Payload):
    """A static list was created."""

    list: ListSnapshot


@event_type("crm.contacts.list.updated.v1")
class ListUpdated(_Payload):
    """A static list was renamed or described anew."""

    list: ListSnapshot
    changed: list[str]


@event_type("crm.contacts.list.deleted.v1")
class ListDeleted(_Payload):
    """A static list was deleted."""

    id: UUID


@event_type("crm.contacts.list.members_added.v1")
class ListMembersAdded(_Payload):
    """Records were added to a static list (only those not already in it)."""

    list_id: UUID
    member_ids: list[UUID]


@event_type("crm.contacts.list.members_removed.v1")
class ListMembersRemoved(_Payload):
    """Records were removed from a static list."""

    list_id: UUID
    member_ids: list[UUID]
