"""``/v1/teams`` and ``/v1/roles``: the five routes each, for holders of ``identity:*``."""

from crm_chassis.crud_routes import crud_router
from fastapi import APIRouter

from crm_gateway.access.service import ROLES, TEAMS

router = APIRouter()
router.include_router(crud_router(TEAMS, scope="identity", tags=["identity"]))
router.include_router(crud_router(ROLES, scope="identity", tags=["identity"]))
