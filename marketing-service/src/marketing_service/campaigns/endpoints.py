from typing import Annotated, Any
from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.crud_routes import crud_router
from crm_chassis.http import IfMatchDep
from fastapi import APIRouter, Query, Response

from marketing_service.campaigns import service
from marketing_service.campaigns.schemas import FeedbackWrite, RecipientRead, ScheduleWrite
from marketing_service.campaigns.service import CAMPAIGNS, VIEW

router = crud_router(CAMPAIGNS, scope="marketing", tags=["campaigns"])
actions = APIRouter(prefix="/v1", tags=["campaigns"])
reads, writes = [require_scope("marketing:read")], [require_scope("marketing:write")]


@actions.post("/campaigns/{id:uuid}/schedule", dependencies=writes)
async def schedule_campaign(
    id: UUID, body: ScheduleWrite, call: CallDep, if_match: IfMatchDep = None
) -> Response:
    """Send the campaign at ``at`` (now when absent)."""
    return VIEW.one(call.actor, await service.schedule(call, id, body.at, if_match))


@actions.post("/campaigns/{id:uuid}/cancel", dependencies=writes)
async def cancel_campaign(id: UUID, call: CallDep, if_match: IfMatchDep = None) -> Response:
    return VIEW.one(call.actor, await service.cancel(call, id, if_match))


@actions.get("/campaigns/{id:uuid}/stats", dependencies=reads)
async def campaign_stats(id: UUID, call: CallDep) -> dict[str, Any]:
    """Recipients by status, and each A/B variant's sends, opens and clicks."""
    return await service.stats(call, id)


@actions.get("/campaigns/{id:uuid}/recipients", dependencies=reads)
async def campaign_recipients(
    id: UUID,
    call: CallDep,
    after: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    rows = await service.recipients_page(call, id, after, limit)
    data = [RecipientRead.model_validate(r).model_dump(mode="json") for r in rows]
    return {"data": data, "next_after": data[-1]["id"] if len(data) == limit else None}


@actions.post("/email-feedback", status_code=204, dependencies=writes)
async def email_feedback(body: FeedbackWrite, call: CallDep) -> None:
    """A bounce or complaint for a sent message (by its id), from the relay's feedback."""
    await service.feedback(call, body.message_id, body.kind, body.reason)
