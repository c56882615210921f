from crm_chassis.crud_routes import crud_router

from support_service.calendars.service import CALENDARS

router = crud_router(CALENDARS, scope="support", tags=["calendars"])
