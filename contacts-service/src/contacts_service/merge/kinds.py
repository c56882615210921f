"""What differs between merging contacts and merging accounts, in one adapter each.

Everything else (locking, moving children, the audit record, undo) is generic and lives in
``service.py`` and ``moves.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from crm_chassis.errors import ValidationFailed
from crm_chassis.resources import validate
from crm_proto import CloudEvent
from crm_proto.events.contacts import AccountMerged, ContactMerged
from pydantic import BaseModel
from sqlalchemy import and_, func, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.accounts import events as account_events
from contacts_service.accounts.derive import columns as account_columns
from contacts_service.accounts.models import Account
from contacts_service.accounts.repository import AccountRepository
from contacts_service.accounts.schemas import AccountRead, AccountWrite
from contacts_service.contacts import events as contact_events
from contacts_service.contacts.derive import columns as contact_columns
from contacts_service.contacts.models import Contact
from contacts_service.contacts.schemas import ContactRead, ContactWrite
from contacts_service.events import events
from contacts_service.links.models import ContactAccount
from contacts_service.merge.survivorship import Outcome, merge_accounts, merge_contacts

Entity = Any  # Contact | Account


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    model: type[Any]
    read: type[BaseModel]
    write: type[BaseModel]
    survive: Callable[[dict[str, Any], list[dict[str, Any]], dict[str, str]], Outcome]
    derive: Callable[[Any, str], dict[str, Any]]
    """Stored columns of a validated write model (for a region)."""
    created: Callable[[Any], CloudEvent]
    updated: Callable[[Any, list[str]], CloudEvent]
    merged_event: type[BaseModel]

    def as_json(self, record: Entity) -> dict[str, Any]:
        return self.read.model_validate(record).model_dump(mode="json")

    def merged(self, merge_id: UUID, survivor: Entity, merged_ids: list[UUID]) -> CloudEvent:
        return events.event(
            f"crm.contacts.{self.name}.merged.v1",
            self.merged_event(merge_id=merge_id, survivor_id=survivor.id, merged_ids=merged_ids),
            tenant_id=survivor.tenant_id,
            subject=survivor.id,
            # No sequence: the survivor's updated.v1 carries its version; two events with
            # one sequence would look like a replay to an ordering consumer.
        )


def _contact_columns(model: ContactWrite, region: str) -> dict[str, Any]:
    return contact_columns(model, phone_region=region, custom=model.custom)


def _account_columns(model: AccountWrite, region: str) -> dict[str, Any]:
    return account_columns(model, phone_region=region, custom=model.custom)


CONTACT = Kind(
    name="contact",
    table="contacts",
    model=Contact,
    read=ContactRead,
    write=ContactWrite,
    survive=merge_contacts,
    derive=_contact_columns,
    created=contact_events.created,
    updated=contact_events.updated,
    merged_event=ContactMerged,
)
ACCOUNT = Kind(
    name="account",
    table="accounts",
    model=Account,
    read=AccountRead,
    write=AccountWrite,
    survive=merge_accounts,
    derive=_account_columns,
    created=account_events.created,
    updated=account_events.updated,
    merged_event=AccountMerged,
)
KINDS = {k.name: k for k in (CONTACT, ACCOUNT)}
BY_TABLE = {k.table: k for k in (CONTACT, ACCOUNT)}


def stored_values(kind: Kind, values: dict[str, Any], region: str) -> dict[str, Any]:
    """The columns the merged record will have, or a 422 naming what does not fit (more
    than 20 emails once united, say); nothing has been written when this fails."""
    try:
        model = validate(kind.write, values)
    except ValidationFailed as exc:
        raise ValidationFailed(
            f"The merged {kind.name} would not be valid", errors=exc.errors
        ) from None
    return kind.derive(model, region)


async def safe_parent(
    session: AsyncSession, tenant_id: UUID, survivor: UUID, merged: Iterable[UUID], parent: Any
) -> UUID | None:
    """An account's parent after a merge: never a merged-away account, the survivor
    itself, or one of its own descendants (which would close a cycle)."""
    if parent is None:
        return None
    parent = UUID(str(parent))
    if parent == survivor or parent in set(merged):
        return None
    if survivor in await AccountRepository(session, tenant_id).ancestors(parent):
        return None
    return parent


async def ancestors(session: AsyncSession, tenant_id: UUID, kind: Kind, record: UUID) -> set[UUID]:
    if kind is not ACCOUNT:
        return set()
    return set(await AccountRepository(session, tenant_id).ancestors(record))


async def sync_primary_links(
    session: AsyncSession, tenant_id: UUID, contact_ids: Iterable[UUID | str]
) -> None:
    """Keep each contact's links agreeing with its ``account_id`` (the primary link) after
    links were moved wholesale: the account has a link, and only that link is primary."""
    ids = sorted({UUID(str(i)) for i in contact_ids})
    if not ids:
        return
    await session.execute(
        pg_insert(ContactAccount)
        .from_select(
            ["contact_id", "account_id", "tenant_id", "is_primary"],
            select(Contact.id, Contact.account_id, Contact.tenant_id, true()).where(
                Contact.tenant_id == tenant_id, Contact.id.in_(ids), Contact.account_id.isnot(None)
            ),
        )
        .on_conflict_do_nothing()
    )
    wanted = func.coalesce(ContactAccount.account_id == Contact.account_id, False)
    await session.execute(
        update(ContactAccount)
        .where(
            and_(
                Contact.id == ContactAccount.contact_id,
                Contact.tenant_id == tenant_id,
                ContactAccount.contact_id.in_(ids),
                ContactAccount.is_primary.is_distinct_from(wanted),
            )
        )
        .values(is_primary=wanted)
    )


async def reload(
    session: AsyncSession, tenant_id: UUID, model: type[Any], ids: Iterable[Any]
) -> list[Any]:
    """Fresh ORM copies of rows changed by SQL behind the ORM's back."""
    wanted = sorted({UUID(str(i)) for i in ids})
    if not wanted:
        return []
    stmt = (
        select(model)
        .where(model.tenant_id == tenant_id, model.id.in_(wanted))
        .order_by(model.id)
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars())
