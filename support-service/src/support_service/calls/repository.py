from typing import Any

from crm_chassis.repository import TenantRepository
from sqlalchemy import Select

from support_service.calls.models import PhoneCall


class CallRepository(TenantRepository[PhoneCall]):
    model = PhoneCall
    label = "call"
    sortable = {"created_at": PhoneCall.created_at, "started_at": PhoneCall.started_at}

    def filtered(self, filters: Any) -> Select[Any]:
        stmt = self.select()
        for name in ("contact_id", "ticket_id", "agent_id"):
            value = getattr(filters, name)
            if value is not None:
                stmt = stmt.where(getattr(PhoneCall, name) == value)
        return stmt
