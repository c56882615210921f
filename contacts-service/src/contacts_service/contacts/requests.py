"""What other services ask of a contact, applied here where the contact is mastered.

Marketing records an unsubscribe or a preference change and publishes it; the contact's
consent is kept here, so it is recorded here too (with the contact's own
``consent_changed`` event, which every service's projection follows). A journey's
"add tag" step asks for a tag the same way. A contact that is gone or erased is left
alone: the request has nothing to apply to.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.crud import Call
from crm_chassis.errors import Conflict, NotFound
from crm_proto import CloudEvent
from crm_proto.events.marketing import ContactSubscribed, ContactTagRequested, ContactUnsubscribed
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.contacts import service
from contacts_service.contacts.repository import ContactRepository
from contacts_service.contacts.schemas import Channel

_CHANNELS = frozenset(c.value for c in Channel)


async def _apply(session: AsyncSession, event: CloudEvent, contact_id: UUID, body: Any) -> None:
    call = Call(session=session, actor=Actor.system(UUID(event.tenantid)))
    try:
        await service.patch(call, contact_id, body)
    except (NotFound, Conflict):
        return  # deleted, or erased: nothing to record


async def on_unsubscribed(session: AsyncSession, event: CloudEvent, data: Any) -> None:
    request: ContactUnsubscribed = data
    if request.channel in _CHANNELS:
        consent = {request.channel: {request.purpose: "denied"}}
        await _apply(session, event, request.contact_id, {"consent": consent})


async def on_subscribed(session: AsyncSession, event: CloudEvent, data: Any) -> None:
    request: ContactSubscribed = data
    if request.channel in _CHANNELS:
        consent = {request.channel: {request.purpose: "granted"}}
        await _apply(session, event, request.contact_id, {"consent": consent})


async def on_tag_requested(session: AsyncSession, event: CloudEvent, data: Any) -> None:
    request: ContactTagRequested = data
    contact = await ContactRepository(session, UUID(event.tenantid)).get(request.contact_id)
    if contact is not None and request.tag not in contact.tags:
        await _apply(session, event, contact.id, {"tags": [*contact.tags, request.tag]})
