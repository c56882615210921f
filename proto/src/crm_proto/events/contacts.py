"""Events published by contacts-service."""

from __future__ import annotations

import builtins
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
    team_id: UUID | None = None
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
    team_id: UUID | None = None
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
    changed: builtins.list[str]  # ``list`` is the field above inside this class


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


# -- notes and attachments (C9) ------------------------------------------------------------


class NoteSnapshot(_Payload):
    id: UUID
    contact_id: UUID | None = None
    account_id: UUID | None = None
    author_id: UUID
    body: str
    mentions: list[str] = []
    """User ids mentioned in the body (``@[Name](user:<id>)``), in order of appearance."""
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.contacts.note.created.v1")
class NoteCreated(_Payload):
    """A note was written on a contact and/or an account; ``note.mentions`` are to notify."""

    note: NoteSnapshot


@event_type("crm.contacts.note.updated.v1")
class NoteUpdated(_Payload):
    """A note was edited; ``new_mentions`` are the users mentioned by this edit only."""

    note: NoteSnapshot
    changed: list[str]
    new_mentions: list[str] = []


@event_type("crm.contacts.note.deleted.v1")
class NoteDeleted(_Payload):
    """A note was deleted."""

    id: UUID
    contact_id: UUID | None = None
    account_id: UUID | None = None


class AttachmentSnapshot(_Payload):
    id: UUID
    contact_id: UUID | None = None
    account_id: UUID | None = None
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: UUID
    version: int
    created_at: datetime


@event_type("crm.contacts.attachment.added.v1")
class AttachmentAdded(_Payload):
    """A document was attached to a contact or an account (its content is in the store)."""

    attachment: AttachmentSnapshot


@event_type("crm.contacts.attachment.removed.v1")
class AttachmentRemoved(_Payload):
    """An attachment was removed; its content is deleted from the store."""

    id: UUID
    contact_id: UUID | None = None
    account_id: UUID | None = None
    filename: str


@event_type("crm.contacts.import.completed.v1")
class ImportCompleted(_Payload):
    """A contact import job ended (C7): ``status`` completed, or failed with ``error``.

    A dry run (``dry_run``) wrote no contacts; its counts say what an import would do.
    """

    import_id: UUID
    status: str
    dry_run: bool
    filename: str | None = None
    total_rows: int
    processed: int
    created: int
    updated: int
    unchanged: int
    failed: int
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime


@event_type("crm.contacts.contact.merged.v1")
class ContactMerged(_Payload):
    """Contacts were merged into a survivor (C6).

    The merged-away contacts no longer exist, yet NO ``crm.contacts.contact.deleted.v1`` is
    published for them: a consumer re-points whatever it holds for ``merged_ids`` to
    ``survivor_id`` (dropping its own duplicates) instead of deleting it. The survivor's new
    state follows as ``contact.updated.v1``. ``crm.contacts.merge.undone.v1`` with the same
    ``merge_id`` may later reverse the merge.
    """

    merge_id: UUID
    survivor_id: UUID
    merged_ids: list[UUID]


@event_type("crm.contacts.account.merged.v1")
class AccountMerged(_Payload):
    """Accounts were merged into a survivor (C6).

    As for contacts: NO ``account.deleted.v1`` for the merged-away accounts; consumers
    re-point what they hold for ``merged_ids`` to ``survivor_id``. Contacts and child
    accounts whose reference moved are published as ``updated.v1``.
    """

    merge_id: UUID
    survivor_id: UUID
    merged_ids: list[UUID]


@event_type("crm.contacts.merge.undone.v1")
class MergeUndone(_Payload):
    """A merge was undone (C6).

    ``restored_ids`` exist again with the ids and data they had (each also published as
    ``created.v1``), and the survivor is back to its state before the merge (as
    ``updated.v1``, with a new version). A consumer that re-pointed on ``merged.v1``
    points back what it moved for ``merge_id``.
    """

    merge_id: UUID
    kind: str
    """``contact`` or ``account``."""
    survivor_id: UUID
    restored_ids: list[UUID]


@event_type("crm.contacts.contact.erased.v1")
class ContactErased(_Payload):
    """A person's data was erased on request (C10). Every service erases or anonymises
    what it holds about ``contact_id``; the id itself stays valid and carries no data."""

    contact_id: UUID
    erased_at: datetime
