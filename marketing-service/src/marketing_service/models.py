"""Every ORM model of marketing-service, imported in one place for Alembic.

Models import ``Base`` from ``marketing_service.base``, never from here: this module imports them.
"""

from marketing_service.base import Base
from marketing_service.campaigns.models import Campaign, Recipient
from marketing_service.consent.models import Suppression
from marketing_service.contacts.models import ListMember, ProjectedContact, ProjectedDeal
from marketing_service.journeys.models import Enrollment, Journey, JourneySend, JourneyVersion
from marketing_service.scoring.models import ScoreAdjustment, ScoreHistory, ScoringRule
from marketing_service.segments.models import Segment, SegmentMember
from marketing_service.tracking.models import Touchpoint, TrackingKey

__all__ = [
    "Base",
    "Campaign",
    "Enrollment",
    "Journey",
    "JourneySend",
    "JourneyVersion",
    "ListMember",
    "ProjectedContact",
    "ProjectedDeal",
    "Recipient",
    "ScoreAdjustment",
    "ScoreHistory",
    "ScoringRule",
    "Segment",
    "SegmentMember",
    "Suppression",
    "Touchpoint",
    "TrackingKey",
]
