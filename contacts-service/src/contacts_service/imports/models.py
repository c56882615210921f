"""Import jobs (C7): one row per uploaded file, and the rows it could not import."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.orm import Entity
from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from contacts_service.base import Base


class Import(Entity, Base):
    """An uploaded CSV or vCard file and how to import it; shares its id with the chassis
    long task (``crm_chassis.tasks``) that imports it a chunk at a time and holds its
    status, progress (the byte offset reached, in its ``state``) and counts."""

    __tablename__ = "imports"

    format: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str | None] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(Text, comment="the uploaded file on the imports volume")
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    delimiter: Mapped[str] = mapped_column(String(1), server_default=text("','"))
    mode: Mapped[str] = mapped_column(String(10))
    match_on: Mapped[str] = mapped_column(String(20))
    dry_run: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    columns: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    created_by: Mapped[UUID | None]

    __table_args__ = (Index("ix_imports_tenant_created", "tenant_id", "created_at", "id"),)


class ImportRowError(Base):
    """One problem with one row of an import: the row, its column and field, and why."""

    __tablename__ = "import_errors"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    import_id: Mapped[UUID] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"))
    tenant_id: Mapped[UUID]
    row: Mapped[int] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(255))
    field: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_import_errors_import_row", "import_id", "row", "id"),)
