"""Identifiers: UUIDv7, time-ordered, so primary keys index well and sort by creation."""

from datetime import UTC, datetime
from uuid import UUID

import uuid_utils


def new_id() -> UUID:
    """A new UUIDv7 as a standard-library ``UUID``."""
    return UUID(bytes=uuid_utils.uuid7().bytes)


def created_at(id_: UUID) -> datetime:
    """When a UUIDv7 was made: its first 48 bits are milliseconds since the epoch."""
    return datetime.fromtimestamp((id_.int >> 80) / 1000, tz=UTC)
