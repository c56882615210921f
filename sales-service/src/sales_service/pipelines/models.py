from __future__ import annotations

from uuid import UUID

from crm_chassis.orm import Entity, Owned
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sales_service.base import Base

FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")


class Pipeline(Entity, Owned, Base):
    """A sales process deals move through (S4), in ordered stages."""

    __tablename__ = "pipelines"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))

    __table_args__ = (
        Index("ix_pipelines_tenant_created", "tenant_id", "created_at", "id"),
        Index("uq_pipelines_tenant_name", "tenant_id", "name", unique=True),
    )


class Stage(Entity, Base):
    """One step of a pipeline: its place, probability, forecast category and outcome."""

    __tablename__ = "stages"

    pipeline_id: Mapped[UUID] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    probability: Mapped[int] = mapped_column(Integer)
    forecast_category: Mapped[str] = mapped_column(String(20))
    is_won: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    is_lost: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    rotting_days: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
        CheckConstraint("NOT (is_won AND is_lost)", name="one_outcome"),
        Index("uq_stages_pipeline_name", "tenant_id", "pipeline_id", "name", unique=True),
        Index("ix_stages_pipeline_position", "tenant_id", "pipeline_id", "position"),
        Index("ix_stages_tenant_created", "tenant_id", "created_at", "id"),
    )

    @property
    def closed(self) -> bool:
        return self.is_won or self.is_lost
