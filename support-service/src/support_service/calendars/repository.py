from crm_chassis.repository import TenantRepository

from support_service.calendars.models import Calendar


class CalendarRepository(TenantRepository[Calendar]):
    model = Calendar
    label = "calendar"
    sortable = {"created_at": Calendar.created_at, "name": Calendar.name}
