from crm_chassis.crud_routes import crud_router

from contacts_service.accounts.schemas import AccountFilters
from contacts_service.accounts.service import Accounts

router = crud_router(Accounts(), scope="contacts", tags=["accounts"], filters=AccountFilters)
