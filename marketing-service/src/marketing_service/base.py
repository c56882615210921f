from crm_chassis.orm import new_metadata
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base of marketing-service; its own MetaData, its own database."""

    metadata = new_metadata()
