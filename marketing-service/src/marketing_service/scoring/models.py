from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.ids import new_id
from crm_chassis.orm import Entity
from sqlalchemy import DateTime, Float, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marketing_service.base import Base


class ScoringRule(Entity, Base):
    """A lead scoring rule: ``fit`` (a segment rule over the profile) or ``engagement``
    (points per touch of a kind, optionally named, decaying with a half-life)."""

    __tablename__ = "scoring_rules"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    condition: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    event: Mapped[str | None] = mapped_column(String(40))
    event_name: Mapped[str | None] = mapped_column(String(500))
    points: Mapped[int] = mapped_column(Integer)
    half_life_days: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_scoring_rules_tenant_created", "tenant_id", "created_at", "id"),)


class ScoreAdjustment(Base):
    """Points given or taken by hand or by a journey step (an explained contribution)."""

    __tablename__ = "score_adjustments"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID]
    contact_id: Mapped[UUID]
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_score_adjustments_contact", "tenant_id", "contact_id"),)


class ScoreHistory(Base):
    """Each change of a contact's score, with the contributions that made it."""

    __tablename__ = "score_history"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID]
    contact_id: Mapped[UUID]
    score: Mapped[int] = mapped_column(Integer)
    previous: Mapped[int] = mapped_column(Integer)
    contributions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_score_history_contact", "tenant_id", "contact_id", "at"),)
