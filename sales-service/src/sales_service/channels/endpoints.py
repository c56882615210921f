from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.crud_routes import crud_router
from crm_chassis.http import IfMatchDep
from crm_chassis.pagination import PageParamsDep
from fastapi import APIRouter
from pydantic import BaseModel

from sales_service.channels import service
from sales_service.channels.schemas import RegistrationRead, RegistrationWrite

READ, WRITE = [require_scope("sales:read")], [require_scope("sales:write")]
router = APIRouter(prefix="/v1/deal-registrations", tags=["channels"])


class Registrations(BaseModel):
    data: list[RegistrationRead]
    next_cursor: str | None


@router.post("", dependencies=WRITE, status_code=201)
async def register_deal(body: RegistrationWrite, call: CallDep) -> RegistrationRead:
    """A partner's registration; ``conflict`` when another partner's is open for the account."""
    return RegistrationRead.model_validate(await service.register(call, body))


@router.get("", dependencies=READ)
async def list_registrations(call: CallDep, page: PageParamsDep) -> Registrations:
    rows, cursor = await service.RegistrationRepository(call.session, call.actor).page(page)
    return Registrations(
        data=[RegistrationRead.model_validate(r) for r in rows], next_cursor=cursor
    )


@router.post("/{id:uuid}/approve", dependencies=WRITE)
async def approve(id: UUID, call: CallDep, if_match: IfMatchDep = None) -> RegistrationRead:
    return RegistrationRead.model_validate(await service.decide(call, id, "approved", if_match))


@router.post("/{id:uuid}/reject", dependencies=WRITE)
async def reject(id: UUID, call: CallDep, if_match: IfMatchDep = None) -> RegistrationRead:
    return RegistrationRead.model_validate(await service.decide(call, id, "rejected", if_match))


routers = [router, crud_router(service.PARTNERS, scope="sales", tags=["channels"])]
