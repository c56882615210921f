from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.crud_routes import crud_router
from fastapi import APIRouter

from sales_service.configuration import service
from sales_service.configuration.schemas import ConfigurationIn, PricedConfiguration

router = APIRouter(tags=["configuration"])


@router.post("/v1/configurations/validate", dependencies=[require_scope("sales:read")])
async def validate_configuration(body: ConfigurationIn, call: CallDep) -> PricedConfiguration:
    """Price a selection by the tenant's rules: every rule that fired and why; a 422
    naming each rule the selection breaks."""
    return await service.price(call, body)


routers = [router, crud_router(service.RULES, scope="sales", tags=["configuration"])]
