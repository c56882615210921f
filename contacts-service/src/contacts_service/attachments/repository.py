from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.pagination import PageParams, apply_keyset, page_of
from crm_chassis.repository import TenantRepository

from contacts_service.attachments.models import Attachment

SORTABLE: dict[str, Any] = {"created_at": Attachment.created_at}


class AttachmentRepository(TenantRepository[Attachment]):
    model = Attachment

    def _of(self, kind: str, record_id: UUID) -> Any:
        column = Attachment.contact_id if kind == "contact" else Attachment.account_id
        return self.select().where(column == record_id)

    async def page(
        self, params: PageParams, kind: str, record_id: UUID
    ) -> tuple[list[Attachment], str | None]:
        stmt, sort = apply_keyset(
            self._of(kind, record_id), params, sortable=SORTABLE, id_column=Attachment.id
        )
        rows = await self.list(stmt)
        return page_of(rows, params, sort, lambda a: (a.created_at, a.id))

    async def of_record(self, kind: str, record_id: UUID) -> list[Attachment]:
        return await self.list(self._of(kind, record_id).with_for_update())
