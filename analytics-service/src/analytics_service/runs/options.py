"""What each model may be asked (the body of ``POST /v1/models/{model}/runs``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: datetime | None = None
    """The end of the data window (default: now); the run reads what happened up to it."""


class RfmOptions(_Options):
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    """Monetary scores in this currency only (default: the tenant's main currency)."""


class ClvOptions(_Options):
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    horizon_weeks: float = Field(default=52, gt=0, le=520)
    discount_per_month: float = Field(default=0.0, ge=0, le=1)


ChurnFeature = Literal[
    "recency_days", "frequency", "monetary", "tenure_days", "tickets", "breaches", "touches"
]


class ChurnOptions(_Options):
    horizon_days: int = Field(default=90, ge=7, le=730)
    """A customer churned when they bought nothing in this long after the cut-off."""


class ClusterOptions(_Options):
    k: int | None = Field(default=None, ge=2, le=20)
    features: list[ChurnFeature] = Field(
        default=["recency_days", "frequency", "monetary"], min_length=1
    )


class BasketOptions(_Options):
    min_support: float = Field(default=0.01, gt=0, le=1)
    min_confidence: float = Field(default=0.1, gt=0, le=1)


class ForecastOptions(_Options):
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    horizon_months: int = Field(default=12, ge=1, le=36)
    confidence: float = Field(default=0.9, gt=0.5, lt=1)


class AttributionOptions(_Options):
    lookback_days: int = Field(default=90, ge=1, le=730)
    half_life_days: float = Field(default=7.0, gt=0, le=365)


OPTIONS: dict[str, type[_Options]] = {
    "rfm": RfmOptions,
    "clv": ClvOptions,
    "churn": ChurnOptions,
    "clusters": ClusterOptions,
    "basket": BasketOptions,
    "forecast": ForecastOptions,
    "attribution": AttributionOptions,
}
