"""Every ORM model of contacts-service, imported in one place for Alembic."""

from contacts_service.accounts.models import Account
from contacts_service.base import Base
from contacts_service.contacts.models import Contact
from contacts_service.custom_fields.models import CustomField
from contacts_service.links.models import ContactAccount
from contacts_service.lists.models import ListMember, StaticList

__all__ = [
    "Account",
    "Base",
    "Contact",
    "ContactAccount",
    "CustomField",
    "ListMember",
    "StaticList",
]
