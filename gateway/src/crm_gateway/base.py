"""Declarative base of the gateway: its own MetaData, its own database."""

from crm_chassis.orm import new_metadata
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Base of every gateway ORM model."""

    metadata = new_metadata()
