"""The SQL of ``Idempotency-Key``: the claim (a session-level advisory lock), the
committed marker and the stored response, in the ``idempotency_keys`` table.

The lock is taken and released on one dedicated AUTOCOMMIT connection that the request
holds for its whole life. PostgreSQL drops a session's advisory locks when its connection
ends, so a process that dies mid-request frees its keys at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, func, literal, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from crm_chassis.tables import idempotency_keys as keys

KEY_TTL = timedelta(hours=24)
#: The seed of ``hashtextextended``: keeps these locks apart from other advisory locks.
LOCK_SEED = 0x1DE4


@dataclass(frozen=True)
class StoredKey:
    """A key seen before: ``status_code`` is None when its request committed but the
    response was never stored (the process died between the two)."""

    request_hash: str
    status_code: int | None
    response_headers: dict[str, str] | None
    response_body: bytes | None


def _lock_id(tenant_id: UUID, key: str) -> Any:
    return func.hashtextextended(literal(f"{tenant_id}/{key}"), LOCK_SEED)


def _of(tenant_id: UUID, key: str) -> Any:
    return and_(keys.c.tenant_id == tenant_id, keys.c.key == key)


async def claim(conn: AsyncConnection, tenant_id: UUID, key: str) -> tuple[bool, StoredKey | None]:
    """Try to lock the key on ``conn`` and read what is stored under it, in one round
    trip: ``(False, None)`` when another live request holds it."""
    lock = select(func.pg_try_advisory_lock(_lock_id(tenant_id, key)).label("got")).subquery()
    row = (
        await conn.execute(
            select(
                lock.c.got,
                keys.c.request_hash,
                keys.c.status_code,
                keys.c.response_headers,
                keys.c.response_body,
                (keys.c.created_at < func.now() - KEY_TTL).label("expired"),
            ).select_from(lock.outerjoin(keys, and_(lock.c.got, _of(tenant_id, key))))
        )
    ).one()
    if not row.got:
        return False, None
    if row.request_hash is None:
        return True, None
    if row.expired:
        await conn.execute(delete(keys).where(_of(tenant_id, key)))
        return True, None
    return True, StoredKey(
        row.request_hash, row.status_code, row.response_headers, row.response_body
    )


async def mark_committed(session: AsyncSession, tenant_id: UUID, key: str, digest: str) -> None:
    """Record in the request's own transaction that the key's request took effect."""
    await session.execute(
        insert(keys)
        .values(tenant_id=tenant_id, key=key, request_hash=digest)
        .on_conflict_do_nothing()
    )


async def store_and_release(
    conn: AsyncConnection,
    tenant_id: UUID,
    key: str,
    digest: str,
    *,
    status_code: int,
    headers: dict[str, str],
    body: bytes,
) -> None:
    """Keep the response for replays and unlock the key, in one round trip."""
    values = {"status_code": status_code, "response_headers": headers, "response_body": body}
    stored = (
        insert(keys)
        .values(tenant_id=tenant_id, key=key, request_hash=digest, **values)
        .on_conflict_do_update(index_elements=[keys.c.tenant_id, keys.c.key], set_=values)
        .returning(true())
        .cte("stored")
    )
    await conn.execute(select(func.pg_advisory_unlock(_lock_id(tenant_id, key))).add_cte(stored))


async def release(conn: AsyncConnection, tenant_id: UUID, key: str) -> None:
    """Unlock the key without storing anything."""
    await conn.execute(select(func.pg_advisory_unlock(_lock_id(tenant_id, key))))
