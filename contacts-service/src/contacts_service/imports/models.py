"""Import jobs (C7): one row per uploaded file, and the rows it could not import."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.orm import Entity
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
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
    """An import of a CSV or vCard file, processed in chunks by the job runner.

    ``position`` is the byte offset in the stored file up to which rows are done; it is
    committed with the contacts of each chunk, so a crash resumes exactly there.
    """

    __tablename__ = "imports"

    status: Mapped[str] = mapped_column(String(20))
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
    total_rows: Mapped[int | None] = mapped_column(Integer)
    processed: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    updated: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    unchanged: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    failed: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    position: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(255))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

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
