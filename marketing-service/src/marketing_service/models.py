"""Every ORM model of marketing-service, imported in one place for Alembic."""

from crm_chassis.orm import new_metadata
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    metadata = new_metadata()


__all__ = ["Base"]
