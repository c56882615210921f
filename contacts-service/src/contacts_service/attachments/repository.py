from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.repository import TenantRepository

from contacts_service.accounts.models import Account
from contacts_service.attachments.models import Attachment
from contacts_service.contacts.models import Contact

SORTABLE: dict[str, Any] = {"created_at": Attachment.created_at}


class AttachmentRepository(TenantRepository[Attachment]):
    model = Attachment
    label = "attachment"
    sortable = SORTABLE
    parents = ((Attachment.contact_id, Contact), (Attachment.account_id, Account))

    def of(self, kind: str, record_id: UUID) -> Any:
        column = Attachment.contact_id if kind == "contact" else Attachment.account_id
        return self.select().where(column == record_id)

    async def of_record(self, kind: str, record_id: UUID) -> list[Attachment]:
        return await self.list(self.of(kind, record_id).with_for_update())
