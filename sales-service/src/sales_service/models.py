"""Every ORM model, for Alembic (models import ``Base`` from ``base.py``, not from here)."""

from sales_service.base import Base
from sales_service.pipelines.models import Pipeline

__all__ = ["Base", "Pipeline"]
