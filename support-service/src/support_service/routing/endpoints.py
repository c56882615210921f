from crm_chassis.crud_routes import crud_router

from support_service.routing.service import AGENTS, QUEUES

queues = crud_router(QUEUES, scope="support", tags=["queues"])
agents = crud_router(AGENTS, scope="support", tags=["agents"])
