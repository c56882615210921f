"""Every ORM model of the gateway, imported in one place for Alembic."""

from crm_gateway.base import Base
from crm_gateway.identity.models import ApiKey, Tenant

__all__ = ["ApiKey", "Base", "Tenant"]
