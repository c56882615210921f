from typing import Annotated, Any
from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.crud_routes import crud_router
from fastapi import APIRouter, Query

from marketing_service.scoring import service
from marketing_service.scoring.schemas import AdjustmentWrite, ScoreHistoryRead, ScoreRead
from marketing_service.scoring.service import SCORING_RULES

router = crud_router(SCORING_RULES, scope="marketing", tags=["scoring"])
scores = APIRouter(prefix="/v1/contacts", tags=["scoring"])


@scores.get(
    "/{id:uuid}/score", response_model=ScoreRead, dependencies=[require_scope("marketing:read")]
)
async def contact_score(id: UUID, call: CallDep) -> dict[str, Any]:
    """The contact's lead score now, with the contribution of each rule."""
    return await service.explain(call, id)


@scores.get("/{id:uuid}/score/history", dependencies=[require_scope("marketing:read")])
async def score_history(
    id: UUID, call: CallDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> dict[str, Any]:
    rows = await service.history(call, id, limit)
    return {
        "data": [
            ScoreHistoryRead(
                score=r.score, previous=r.previous, at=r.at, contributions=r.contributions
            ).model_dump(mode="json")
            for r in rows
        ]
    }


@scores.post(
    "/{id:uuid}/score/adjustments", status_code=204, dependencies=[require_scope("marketing:write")]
)
async def adjust_score(id: UUID, body: AdjustmentWrite, call: CallDep) -> None:
    await service.adjust(call, id, body.points, body.reason)
