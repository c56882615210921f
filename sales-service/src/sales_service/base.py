from crm_chassis.orm import new_metadata
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base of sales-service; its own MetaData, its own database."""

    metadata = new_metadata()
