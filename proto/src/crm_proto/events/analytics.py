"""Events of analytics-service (`crm.analytics.*`): one model per event type.

Model results are published so other services act on them (marketing segments on RFM
segments and churn risk, sales on lifetime value) without reading the warehouse.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from crm_proto.registry import event_type


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


@event_type("crm.analytics.model_run.completed.v1")
class ModelRunCompleted(_Payload):
    """A model was trained or scored on the tenant's data (A4-A10)."""

    run_id: UUID
    model: str
    """rfm, clv, churn, clusters, basket, forecast or attribution."""
    version: int
    window_from: datetime | None = None
    window_to: datetime
    customers: int = 0
    """How many customers the run scored (0 for models without customers)."""


@event_type("crm.analytics.customer.segment_changed.v1")
class CustomerSegmentChanged(_Payload):
    """A customer's segment under a model changed between two runs (RFM segments, churn
    risk bands, clusters): what marketing segments can select on."""

    contact_id: UUID
    model: str
    segment: str
    previous_segment: str | None = None
    run_id: UUID
    version: int
    scores: dict[str, float] = {}
    """The figures behind the segment (r, f, m; churn probability; ...)."""
