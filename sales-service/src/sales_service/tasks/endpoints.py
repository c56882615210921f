from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.crud_routes import crud_router
from crm_chassis.db import SessionDep
from crm_chassis.http import IfMatchDep
from crm_chassis.openapi import PUBLIC
from fastapi import APIRouter, Response

from sales_service.tasks import service
from sales_service.tasks.schemas import CalendarFeedRead, TaskRead

router = APIRouter(tags=["tasks"])


@router.post(
    "/v1/tasks/{id:uuid}/complete",
    dependencies=[require_scope("sales:write")],
    response_model=TaskRead,
)
async def complete_task(id: UUID, call: CallDep, if_match: IfMatchDep = None) -> Response:
    return service.TASKS.view.one(call.actor, await service.complete(call, id, if_match))


@router.post("/v1/calendar-feeds", dependencies=[require_scope("sales:read")])
async def my_calendar_feed(call: CallDep) -> CalendarFeedRead:
    """The caller's secret iCalendar URL of their tasks (the same one each time)."""
    feed = await service.feed_of(call)
    return CalendarFeedRead(url=f"/v1/calendar-feeds/{feed.secret}.ics")


@router.get("/v1/calendar-feeds/{secret}.ics", openapi_extra=PUBLIC)
async def calendar(secret: str, session: SessionDep) -> Response:
    """A user's tasks as iCalendar; the secret in the URL is the only credential."""
    body = await service.calendar(session, secret[:64])
    return Response(body, media_type="text/calendar; charset=utf-8")


routers = [
    router,
    crud_router(service.TASKS, scope="sales", tags=["tasks"]),
    crud_router(service.TASK_RULES, scope="sales", tags=["tasks"]),
]
