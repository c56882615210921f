"""Many events into the outbox with one ``COPY``: the bulk twin of :func:`outbox.emit`.

Imports, campaign sends and warehouse loads write thousands of events per transaction;
building each one through ``CloudEvent`` and its payload model costs more than the rest of
the write, and an ``INSERT`` per row more again. :class:`BulkEvents` collects the outbox
rows of one tenant's events, from payload models or from plain JSON-ready dicts (the fast
path: no pydantic per event), and :func:`copy_events` writes them with one binary ``COPY``
on the connection under the caller's session, so they commit or roll back with the change
they describe, exactly as :func:`outbox.emit`.

A row's body is byte for byte what :func:`outbox.emit` stores for the same event (the same
fields in the same order, ``None`` left out of the envelope, UTC times ending in ``Z``):
consumers cannot tell the two paths apart, and a test holds them to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import orjson
import uuid_utils
from asyncpg.pgproto.pgproto import UUID as _PgUUID
from crm_proto import CloudEvent, subject_for
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from crm_chassis import context
from crm_chassis.orm import utcnow
from crm_chassis.tables import outbox

OutboxRecord = tuple[UUID, UUID, str, bytes]
"""One outbox row as COPY takes it: (id, tenant_id, subject, body)."""

_COLUMNS = ["id", "tenant_id", "subject", "body"]
_SUBJECTS: dict[str, str] = {}


def fast_id() -> UUID:
    """A UUIDv7 like :func:`crm_chassis.ids.new_id`, built as asyncpg's ``UUID`` (a C
    subclass of ``uuid.UUID``): the standard-library constructor costs more than the rest
    of an outbox row. For ids made by the thousand (events, rows written by COPY)."""
    return _PgUUID(uuid_utils.uuid7().bytes)


def json_default(value: Any) -> Any:
    """What orjson does not encode itself: ``UUID`` subclasses (asyncpg's) and ``Decimal``,
    as pydantic's JSON mode renders them (strings)."""
    if isinstance(value, UUID | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _subject(event_type: str) -> str:
    subject = _SUBJECTS.get(event_type)
    if subject is None:
        subject = _SUBJECTS[event_type] = subject_for(event_type)
    return subject


def _encode(envelope: dict[str, Any]) -> bytes:
    return orjson.dumps(envelope, default=json_default, option=orjson.OPT_UTC_Z)


class BulkEvents:
    """The outbox rows of one tenant's events, collected for :func:`copy_events`.

    ``time`` (default: now) and the trace context are read once, for every event: the
    events of one bulk write happen together. ``source`` is the service's, as
    :class:`outbox.EventSource` has it (``/crm/<service>``).
    """

    def __init__(self, *, source: str, tenant_id: UUID, time: datetime | None = None) -> None:
        self.source = source
        self.tenant_id = tenant_id
        self.time = time or utcnow()
        self._tenant = str(tenant_id)
        self._traceparent = context.traceparent.get()
        self.records: list[OutboxRecord] = []

    def __len__(self) -> int:
        return len(self.records)

    def add(
        self,
        type: str,
        data: Mapping[str, Any] | BaseModel,
        *,
        subject: UUID | str | None = None,
        sequence: int | None = None,
    ) -> UUID:
        """Add an event; its id.

        ``data`` is the payload model of ``type`` (validated, as :func:`new_event` does),
        or a dict already shaped as that model dumps (keys in field order, every field
        present): the fast path, which is not validated, so its producer's tests must hold
        it to the model.
        """
        if isinstance(data, BaseModel):
            from crm_proto.registry import payload_model

            model = payload_model(type)
            if not isinstance(data, model):
                raise TypeError(f"{type} carries {model.__name__}, not {data.__class__.__name__}")
            data = data.model_dump(mode="json")
        event_id = fast_id()
        envelope: dict[str, Any] = {
            "specversion": "1.0",
            "id": event_id,
            "source": self.source,
            "type": type,
        }
        if subject is not None:
            envelope["subject"] = subject
        envelope["time"] = self.time
        envelope["datacontenttype"] = "application/json"
        envelope["data"] = data
        envelope["tenantid"] = self._tenant
        if self._traceparent is not None:
            envelope["traceparent"] = self._traceparent
        if sequence is not None:
            envelope["sequence"] = sequence
        self.records.append((event_id, self.tenant_id, _subject(type), _encode(envelope)))
        return event_id

    def add_event(self, event: CloudEvent) -> None:
        """Add an event built elsewhere (``EventSource.event``), as :func:`emit` writes it."""
        self.records.append(record_of(event))


def record_of(event: CloudEvent) -> OutboxRecord:
    """The outbox row :func:`emit` writes for ``event`` (trace context filled in likewise)."""
    if event.traceparent is None:
        event.traceparent = context.traceparent.get()
    body = event.model_dump_json(exclude_none=True).encode()
    return (UUID(event.id), UUID(event.tenantid), _subject(event.type), body)


async def raw_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection of ``session``, inside the session's transaction, for COPY.

    SQLAlchemy's driver adapter sends ``BEGIN`` lazily, with its first statement; one is
    run first when needed so that nothing on this connection runs outside the transaction.
    """
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    if not driver.is_in_transaction():
        await conn.exec_driver_sql("SELECT 1")
    assert driver.is_in_transaction()
    return driver


async def copy_events(
    session: AsyncSession, events: BulkEvents | Iterable[CloudEvent | OutboxRecord]
) -> int:
    """Write ``events`` to the outbox with one ``COPY`` in the session's transaction; they
    publish after it commits, exactly as if each had gone through :func:`emit`. How many.
    """
    if isinstance(events, BulkEvents):
        records = events.records
    else:
        records = [record_of(e) if isinstance(e, CloudEvent) else e for e in events]
    if records:
        conn = await raw_connection(session)
        await conn.copy_records_to_table(outbox.name, records=records, columns=_COLUMNS)
    return len(records)
