from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from crm_chassis.money import money_column
from crm_chassis.orm import Entity
from crm_proto.money import Money
from sqlalchemy import CHAR, Date, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from sales_service.base import Base


class Quota(Entity, Base):
    """What an owner is to close in a period (``2026-Q1`` or ``2026-03``), S11."""

    __tablename__ = "quotas"

    owner_id: Mapped[UUID] = mapped_column()
    period: Mapped[str] = mapped_column(String(7))
    amount: Mapped[Money] = money_column("amount")

    __table_args__ = (
        Index("uq_quotas_owner_period", "tenant_id", "owner_id", "period", unique=True),
        Index("ix_quotas_tenant_created", "tenant_id", "created_at", "id"),
    )


class ForecastCell(Base):
    """The sums of deals per month, owner, team, forecast category and currency, kept by
    a trigger on ``deals`` in the transaction of every deal write (migration
    ``forecast cells``): the forecast reads a few hundred cells, not every deal.

    Deals without an owner or team count under the nil UUID; deals without an amount or
    an expected close date are not in the forecast.
    """

    __tablename__ = "forecast_cells"

    tenant_id: Mapped[UUID] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    owner_key: Mapped[UUID] = mapped_column(primary_key=True)
    team_key: Mapped[UUID] = mapped_column(primary_key=True)
    forecast_category: Mapped[str] = mapped_column(String(20), primary_key=True)
    currency: Mapped[str] = mapped_column(CHAR(3), primary_key=True)
    deals: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric)
    weighted_x100: Mapped[Decimal] = mapped_column(Numeric)
