"""Every ORM model of the gateway, imported in one place for Alembic."""

from crm_gateway.audit.history import RecordEvent
from crm_gateway.audit.models import AuditEntry
from crm_gateway.base import Base
from crm_gateway.identity.models import ApiKey, RefreshToken, Role, Team, Tenant, User
from crm_gateway.identity.signing import SigningKeyRow
from crm_gateway.limits.models import RateBucket
from crm_gateway.webhooks.models import Attempt, Delivery, Webhook

__all__ = [
    "ApiKey",
    "Attempt",
    "AuditEntry",
    "Base",
    "Delivery",
    "RateBucket",
    "RecordEvent",
    "RefreshToken",
    "Role",
    "SigningKeyRow",
    "Team",
    "Tenant",
    "User",
    "Webhook",
]  # fmt: skip
