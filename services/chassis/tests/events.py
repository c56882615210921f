"""Event helpers shared by the chassis tests."""

from uuid import UUID, uuid4

from crm_chassis.outbox import EventSource
from crm_proto import CloudEvent
from crm_proto.events.contacts import ContactDeleted

SOURCE = EventSource("chassis-tests")


def an_event(tenant_id: UUID | None = None) -> CloudEvent:
    contact_id = uuid4()
    return SOURCE.event(
        "crm.contacts.contact.deleted.v1",
        ContactDeleted(id=contact_id),
        tenant_id=tenant_id or uuid4(),
        subject=contact_id,
    )
