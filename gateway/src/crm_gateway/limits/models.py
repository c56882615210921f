"""The shared token buckets of the rate limits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from crm_gateway.base import Base


class RateBucket(Base):
    """One bucket (``<policy>:<caller>``): tokens left at ``updated_at``."""

    __tablename__ = "rate_buckets"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    granted: Mapped[int] = mapped_column(
        Integer, server_default=text("0"), comment="tokens the last take got (0: refused)"
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
