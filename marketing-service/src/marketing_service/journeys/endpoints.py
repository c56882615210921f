from typing import Annotated, Any
from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.crud_routes import crud_router
from crm_chassis.http import IfMatchDep
from fastapi import APIRouter, Query, Response

from marketing_service.journeys import service
from marketing_service.journeys.schemas import EnrollmentRead
from marketing_service.journeys.service import JOURNEYS, VIEW

router = crud_router(JOURNEYS, scope="marketing", tags=["journeys"])
actions = APIRouter(prefix="/v1/journeys", tags=["journeys"])
writes = [require_scope("marketing:write")]


@actions.post("/{id:uuid}/publish", dependencies=writes)
async def publish_journey(id: UUID, call: CallDep, if_match: IfMatchDep = None) -> Response:
    """Run the draft as a new version (contacts already in the journey keep theirs)."""
    return VIEW.one(call.actor, await service.publish(call, id, if_match))


@actions.post("/{id:uuid}/pause", dependencies=writes)
async def pause_journey(id: UUID, call: CallDep, if_match: IfMatchDep = None) -> Response:
    return VIEW.one(call.actor, await service.pause(call, id, if_match))


@actions.post("/{id:uuid}/resume", dependencies=writes)
async def resume_journey(id: UUID, call: CallDep, if_match: IfMatchDep = None) -> Response:
    return VIEW.one(call.actor, await service.resume(call, id, if_match))


@actions.get("/{id:uuid}/enrollments", dependencies=[require_scope("marketing:read")])
async def journey_enrollments(
    id: UUID, call: CallDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> dict[str, Any]:
    rows = await service.enrollments(call, id, limit)
    return {"data": [EnrollmentRead.model_validate(r).model_dump(mode="json") for r in rows]}
