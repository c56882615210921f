"""The CloudEvents 1.0 envelope in structured JSON mode, with the CRM extensions.

Extensions (lower-case alphanumerics, as the spec demands): ``tenantid`` (the tenant the
event belongs to), ``traceparent`` (W3C trace context) and ``sequence`` (the aggregate's
version after the change, so consumers can order and skip stale events).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import uuid_utils
from pydantic import BaseModel, ConfigDict, Field

_TYPE_RE = re.compile(r"^crm\.[a-z_]+\.[a-z_]+\.[a-z_]+\.v[0-9]+$")


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event, structured mode. ``data`` is the JSON payload."""

    model_config = ConfigDict(extra="forbid")

    specversion: str = "1.0"
    id: str
    source: str
    type: str = Field(pattern=_TYPE_RE.pattern)
    subject: str | None = None
    time: datetime
    datacontenttype: str = "application/json"
    data: dict[str, Any]
    tenantid: str
    traceparent: str | None = None
    sequence: int | None = None


def subject_for(event_type: str) -> str:
    """NATS subject of an event type: the type without its version suffix.

    ``crm.sales.deal.stage_changed.v1`` is published on ``crm.sales.deal.stage_changed``.
    """
    if not _TYPE_RE.match(event_type):
        raise ValueError(f"not a CRM event type: {event_type!r}")
    return event_type.rsplit(".", 1)[0]


def new_event(
    *,
    type: str,
    source: str,
    tenant_id: UUID | str,
    data: BaseModel,
    subject: UUID | str | None = None,
    sequence: int | None = None,
    traceparent: str | None = None,
) -> CloudEvent:
    """Build an event whose payload is validated against the registered model of ``type``."""
    from crm_proto.registry import payload_model

    model = payload_model(type)
    if not isinstance(data, model):
        raise TypeError(f"{type} carries {model.__name__}, not {data.__class__.__name__}")
    return CloudEvent(
        id=str(uuid_utils.uuid7()),
        source=source,
        type=type,
        subject=str(subject) if subject is not None else None,
        time=datetime.now(UTC),
        data=data.model_dump(mode="json"),
        tenantid=str(tenant_id),
        traceparent=traceparent,
        sequence=sequence,
    )
