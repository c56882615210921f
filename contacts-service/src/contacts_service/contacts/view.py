"""How a contact is shown to a caller: every response of every contact route uses it."""

from crm_chassis.crud import View

from contacts_service.contacts.schemas import ContactRead

CONTACT = View("contact", ContactRead, path="/v1/contacts")
