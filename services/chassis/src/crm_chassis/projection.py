"""Read models built from events: one row per (tenant_id, id), never moved backwards.

A declared subsystem that builds its own SQL: ``INSERT ... ON CONFLICT DO UPDATE ... WHERE``
over the projection table it is given (the owner's repositories read that table).

Ordering is by the CloudEvent ``sequence`` extension, the aggregate's version after the
change, not by the JetStream stream sequence. The version is what the producer commits
with the change, so it orders the events of one aggregate whatever path they took; a
stream sequence does not: a replayed dead letter, or an event published again, gets a new
and higher stream sequence and would overwrite newer state with older, and a stream that
is rebuilt or mirrored numbers its messages anew. An event at or below the stored
sequence is ignored (the same version twice is the same state).

A delete is a tombstone: the row stays, ``deleted`` true, with the delete's sequence
(beyond every version when the event has none, since ids are never reused), so an older
event that arrives late (a replayed dead letter) cannot bring the record back. Reads
filter on :attr:`Projection.live`. Because a tombstone may arrive before any version, the
columns besides the key must be nullable or have a default.

Handlers key a row by the event's tenant and its ``subject`` (the aggregate id)::

    DEALS = Projection(projection_table("deals", metadata, Column("stage", String(80))))
    handlers = {
        "crm.sales.deal.created.v1": DEALS.upserts(lambda deal: {"stage": deal.stage}),
        "crm.sales.deal.stage_changed.v1": DEALS.upserts(lambda d: {"stage": d.to_stage}),
        "crm.sales.deal.deleted.v1": DEALS.tombstones(),
    }
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from crm_proto import CloudEvent
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    MetaData,
    Table,
    Uuid,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_chassis.consumer import EventHandler, Typed

# Larger than any version: the sequence of a tombstone whose event carries none.
FINAL = 2**63 - 1


def projection_table(name: str, metadata: MetaData, *columns: Any) -> Table:
    """A projection table: the key ``(tenant_id, id)``, ``sequence``, ``deleted``, and
    ``columns`` (nullable or with a default)."""
    return Table(
        name,
        metadata,
        Column("tenant_id", Uuid, primary_key=True),
        Column("id", Uuid, primary_key=True),
        Column("sequence", BigInteger, nullable=False, comment="the aggregate version applied"),
        Column("deleted", Boolean, nullable=False, server_default=false()),
        *columns,
    )


def _key(event: CloudEvent) -> tuple[UUID, UUID]:
    if event.subject is None:
        raise ValueError(f"event {event.id} has no subject: no row of a projection to key")
    return UUID(event.tenantid), UUID(event.subject)


@dataclass(frozen=True)
class Projection:
    """Upserts and tombstones on one table made by :func:`projection_table`."""

    table: Table

    @property
    def live(self) -> ColumnElement[bool]:
        """The condition a read of the projection adds: not deleted."""
        return self.table.c.deleted.is_(False)

    async def upsert(
        self,
        session: AsyncSession,
        *,
        tenant_id: UUID,
        id: UUID,
        sequence: int,
        values: Mapping[str, Any],
    ) -> bool:
        """Write ``values`` to the row unless it holds ``sequence`` or a later one; whether
        it was written. Columns not in ``values`` keep what they hold."""
        return await self._write(session, (tenant_id, id), sequence, {**values, "deleted": False})

    async def tombstone(
        self, session: AsyncSession, *, tenant_id: UUID, id: UUID, sequence: int | None
    ) -> bool:
        """Mark the row deleted at ``sequence`` (final when None); whether it was written."""
        final = FINAL if sequence is None else sequence
        return await self._write(session, (tenant_id, id), final, {"deleted": True})

    async def _write(self, session: AsyncSession, key, sequence: int, values) -> bool:
        t = self.table
        tenant_id, id = key
        stmt = insert(t).values(tenant_id=tenant_id, id=id, sequence=sequence, **values)
        upsert = stmt.on_conflict_do_update(
            index_elements=[t.c.tenant_id, t.c.id],
            set_={name: stmt.excluded[name] for name in ("sequence", *values)},
            where=t.c.sequence < stmt.excluded.sequence,
        ).returning(t.c.id)
        return (await session.execute(upsert)).first() is not None

    def upserts(self, row: Callable[[Any], Mapping[str, Any]]) -> Typed:
        """A handler writing ``row(data)`` (``data`` the event's proto payload) at the
        event's ``sequence``; an event without one is an error, it cannot be ordered."""

        async def handle(session: AsyncSession, event: CloudEvent, data: Any) -> None:
            if event.sequence is None:
                raise ValueError(f"event {event.id} ({event.type}) carries no sequence")
            tenant_id, id = _key(event)
            await self.upsert(
                session, tenant_id=tenant_id, id=id, sequence=event.sequence, values=row(data)
            )

        return Typed(handle)

    def tombstones(self) -> EventHandler:
        """A handler marking the event's row deleted."""

        async def handle(session: AsyncSession, event: CloudEvent) -> None:
            tenant_id, id = _key(event)
            await self.tombstone(session, tenant_id=tenant_id, id=id, sequence=event.sequence)

        return handle

    async def truncate(self, session: AsyncSession) -> None:
        """Empty the projection (the ``truncate`` of :func:`crm_chassis.consumer.reset`)."""
        name = session.get_bind().dialect.identifier_preparer.format_table(self.table)
        await session.execute(text(f"TRUNCATE TABLE {name}"))
