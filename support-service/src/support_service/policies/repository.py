from crm_chassis.repository import TenantRepository

from support_service.policies.models import SlaPolicy


class SlaPolicyRepository(TenantRepository[SlaPolicy]):
    model = SlaPolicy
    label = "SLA policy"
    sortable = {"created_at": SlaPolicy.created_at, "position": SlaPolicy.position}

    async def ordered(self, kind: str) -> list[SlaPolicy]:
        stmt = (
            self.select()
            .where(SlaPolicy.kind == kind)
            .order_by(SlaPolicy.position, SlaPolicy.created_at, SlaPolicy.id)
        )
        return await self.list(stmt)
