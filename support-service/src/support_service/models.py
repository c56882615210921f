"""Every ORM model of support-service, imported in one place for Alembic.

Models import ``Base`` from ``support_service.base``, never from here: this module imports them.
"""

from support_service.base import Base

__all__ = ["Base"]
