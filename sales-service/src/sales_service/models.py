"""Every ORM model of sales-service, imported in one place for Alembic.

Models import ``Base`` from ``sales_service.base``, never from here: this module imports them.
"""

from sales_service.base import Base
from sales_service.pipelines.models import Pipeline

__all__ = ["Base", "Pipeline"]
