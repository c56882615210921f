"""Every ORM model of support-service, imported in one place for Alembic.

Models import ``Base`` from ``support_service.base``, never from here: this module imports them.
"""

from support_service.attachments.models import TicketAttachment
from support_service.base import Base
from support_service.calendars.models import Calendar
from support_service.calls.models import PhoneCall
from support_service.contact_data.models import MergeMove
from support_service.csat.models import Survey
from support_service.knowledge.models import Article, ArticleVersion
from support_service.policies.models import SlaPolicy
from support_service.routing.models import Agent, Queue
from support_service.tickets.models import Ticket, TicketCounter, TicketEvent, TicketMessage

__all__ = [
    "Agent",
    "Article",
    "ArticleVersion",
    "Base",
    "Calendar",
    "MergeMove",
    "PhoneCall",
    "Queue",
    "SlaPolicy",
    "Survey",
    "Ticket",
    "TicketAttachment",
    "TicketCounter",
    "TicketEvent",
    "TicketMessage",
]
