"""Every event support-service consumes, with its handler, registered in this one place.

``support-contact-data``: merges in contacts-service re-point tickets and calls to the
survivor (and an undo points them back); an erasure anonymises what this service holds
about the person. Each handler is idempotent by itself (a second merge finds nothing
left to move, a second erasure rewrites the same values) and the inbox makes it
exactly-once in effect.
"""

from __future__ import annotations

from uuid import UUID

from crm_chassis.consumer import Consumer
from crm_proto import CloudEvent
from sqlalchemy.ext.asyncio import AsyncSession

from support_service.contact_data.repository import ContactDataRepository


def _repo(session: AsyncSession, event: CloudEvent) -> ContactDataRepository:
    return ContactDataRepository(session, UUID(event.tenantid))


def _ids(values: list[str]) -> list[UUID]:
    return [UUID(str(v)) for v in values]


async def _repoint(session: AsyncSession, event: CloudEvent, kind: str) -> None:
    d = event.data
    merge, survivor = UUID(str(d["merge_id"])), UUID(str(d["survivor_id"]))
    await _repo(session, event).repoint(kind, merge, survivor, _ids(d["merged_ids"]))


async def on_contact_merged(session: AsyncSession, event: CloudEvent) -> None:
    await _repoint(session, event, "contact")


async def on_account_merged(session: AsyncSession, event: CloudEvent) -> None:
    await _repoint(session, event, "account")


async def on_merge_undone(session: AsyncSession, event: CloudEvent) -> None:
    await _repo(session, event).undo(UUID(str(event.data["merge_id"])))


async def on_contact_erased(session: AsyncSession, event: CloudEvent) -> None:
    await _repo(session, event).erase_contact(UUID(str(event.data["contact_id"])))


CONTACT_DATA = Consumer(
    "support-contact-data",
    handlers={
        "crm.contacts.contact.merged.v1": on_contact_merged,
        "crm.contacts.account.merged.v1": on_account_merged,
        "crm.contacts.merge.undone.v1": on_merge_undone,
        "crm.contacts.contact.erased.v1": on_contact_erased,
    },
)

CONSUMERS = [CONTACT_DATA]
