"""Calendar use cases: the chassis' CRUD; a changed calendar re-times the SLA clocks on it."""

from typing import Any

from crm_chassis.crud import Call, Crud, View
from crm_chassis.entity_events import EntityEvents
from crm_proto.events import support

from support_service.calendars.repository import CalendarRepository
from support_service.calendars.schemas import CalendarRead, CalendarWrite
from support_service.columns import with_json
from support_service.events import SOURCE

VIEW = View("calendar", CalendarRead, path="/v1/calendars")
EVENTS = EntityEvents.of(SOURCE, "crm.support.calendar", support)


class Calendars(Crud[Any]):
    async def patch(self, call: Call, id_: Any, body: Any, if_match: str | None) -> Any:
        entity = await super().patch(call, id_, body, if_match)
        # The SLA clocks on this calendar are derived, so they are simply recomputed.
        from support_service.sla.service import retime_calendar

        await retime_calendar(call, entity.id)
        return entity


CALENDARS = Calendars(
    CalendarRepository,
    VIEW,
    CalendarWrite,
    EVENTS,
    columns=with_json("hours", "holidays"),
)
