from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.orm import utcnow
from sqlalchemy import DateTime, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from analytics_service.base import Base


class ModelRun(Base):
    """One finished training or scoring of a model: its version (per tenant and model),
    the data window it read, what it was asked, what it fitted, and its results.

    The id is the long task's: ``GET /v1/models/{model}/runs/{id}`` shows the task's
    progress until the run exists.
    """

    __tablename__ = "model_runs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "model", "version"),
        Index("ix_model_runs_tenant_model_created", "tenant_id", "model", "created_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(nullable=False)
    model: Mapped[str] = mapped_column(String(40), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    window_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    window_to: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now(), nullable=False
    )
