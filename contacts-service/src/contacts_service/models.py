"""Every ORM model of contacts-service, imported in one place for Alembic."""

from contacts_service.accounts.models import Account
from contacts_service.base import Base
from contacts_service.contacts.models import Contact

__all__ = ["Account", "Base", "Contact"]
