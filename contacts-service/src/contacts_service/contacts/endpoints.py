from crm_chassis.crud_routes import crud_router

from contacts_service.contacts.schemas import ContactFilters
from contacts_service.contacts.service import Contacts

router = crud_router(Contacts(), scope="contacts", tags=["contacts"], filters=ContactFilters)
