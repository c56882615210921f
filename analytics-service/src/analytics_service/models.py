"""Every ORM model of analytics-service, imported in one place for Alembic.

Models import ``Base`` from ``analytics_service.base``, never from here: this module imports them.
"""

from analytics_service.base import Base
from analytics_service.runs.models import ModelRun

__all__ = ["Base", "ModelRun"]
