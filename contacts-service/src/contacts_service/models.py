"""Every ORM model of contacts-service, imported in one place for Alembic."""

from contacts_service.accounts.models import Account
from contacts_service.attachments.models import Attachment
from contacts_service.base import Base
from contacts_service.contacts.models import Contact
from contacts_service.custom_fields.models import CustomField
from contacts_service.imports.models import Import, ImportRowError
from contacts_service.links.models import ContactAccount
from contacts_service.lists.models import ListMember, StaticList
from contacts_service.merge.models import DuplicatePair, Merge
from contacts_service.notes.models import Note
from contacts_service.timeline.models import TimelineEntry

__all__ = [
    "Account",
    "Attachment",
    "Base",
    "Contact",
    "ContactAccount",
    "CustomField",
    "DuplicatePair",
    "Import",
    "ImportRowError",
    "ListMember",
    "Merge",
    "Note",
    "StaticList",
    "TimelineEntry",
]
