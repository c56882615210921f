from crm_chassis.crud_routes import crud_router

from support_service.policies.service import POLICIES

router = crud_router(POLICIES, scope="support", tags=["sla-policies"])
