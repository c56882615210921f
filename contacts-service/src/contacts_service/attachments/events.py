from __future__ import annotations

from crm_proto import CloudEvent
from crm_proto.events.contacts import AttachmentAdded, AttachmentRemoved, AttachmentSnapshot

from contacts_service.attachments.models import Attachment
from contacts_service.events import events


def added(attachment: Attachment) -> CloudEvent:
    return events.event(
        "crm.contacts.attachment.added.v1",
        AttachmentAdded(
            attachment=AttachmentSnapshot.model_validate(attachment, from_attributes=True)
        ),
        tenant_id=attachment.tenant_id,
        subject=attachment.id,
        sequence=attachment.version,
    )


def removed(attachment: Attachment) -> CloudEvent:
    return events.event(
        "crm.contacts.attachment.removed.v1",
        AttachmentRemoved(
            id=attachment.id,
            contact_id=attachment.contact_id,
            account_id=attachment.account_id,
            filename=attachment.filename,
        ),
        tenant_id=attachment.tenant_id,
        subject=attachment.id,
        sequence=attachment.version + 1,
    )
