"""Every event contacts-service consumes, with its handler, registered in this one place.

- ``contacts-timeline``: activity events of every service (contacts' own included, they
  arrive through NATS like the others) become timeline lines, by the declarative table
  in ``timeline/rules.py``; one batched handler takes a fetched batch's runs of them.
- ``contacts-cleanup``: when a contact or account is deleted, its notes, attachments
  and timeline lines go with it (or stay with the other record they also belong to).
- ``contacts-requests``: what another service asks of a contact: marketing's
  unsubscribes and preference changes become its consent, a journey's tag its tag.
"""

from __future__ import annotations

from uuid import UUID

from crm_chassis.consumer import Consumer, Typed
from crm_proto import CloudEvent
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.attachments import service as attachments
from contacts_service.contacts import requests
from contacts_service.notes import service as notes
from contacts_service.timeline import service as timeline
from contacts_service.timeline.rules import RULES


async def _forget(session: AsyncSession, event: CloudEvent, kind: str) -> None:
    tenant_id, record_id = UUID(event.tenantid), UUID(str(event.data["id"]))
    # Tables in the order a test's TRUNCATE locks them (alphabetical), to keep the window
    # for a lock-order deadlock with it as small as the inbox insert allows.
    for forget in (attachments.detach_record, notes.detach_record, timeline.forget_record):
        await forget(session=session, tenant_id=tenant_id, kind=kind, record_id=record_id)


async def on_contact_deleted(session: AsyncSession, event: CloudEvent) -> None:
    await _forget(session, event, "contact")


async def on_account_deleted(session: AsyncSession, event: CloudEvent) -> None:
    await _forget(session, event, "account")


TIMELINE = Consumer(
    "contacts-timeline",
    handlers=dict.fromkeys(RULES, timeline.HANDLER),
)

CLEANUP = Consumer(
    "contacts-cleanup",
    handlers={
        "crm.contacts.contact.deleted.v1": on_contact_deleted,
        "crm.contacts.account.deleted.v1": on_account_deleted,
    },
)

REQUESTS = Consumer(
    "contacts-requests",
    handlers={
        "crm.marketing.contact.unsubscribed.v1": Typed(requests.on_unsubscribed),
        "crm.marketing.contact.subscribed.v1": Typed(requests.on_subscribed),
        "crm.marketing.contact.tag_requested.v1": Typed(requests.on_tag_requested),
    },
)

CONSUMERS = [TIMELINE, CLEANUP, REQUESTS]
