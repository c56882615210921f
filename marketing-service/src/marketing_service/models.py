"""Every ORM model of marketing-service, imported in one place for Alembic.

Models import ``Base`` from ``marketing_service.base``, never from here: this module imports them.
"""

from marketing_service.base import Base

__all__ = ["Base"]
