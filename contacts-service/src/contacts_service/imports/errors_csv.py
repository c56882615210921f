"""An import's row errors as a CSV download, read in keyset batches (never all at once)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contacts_service.imports.models import ImportRowError

HEADER = ["row", "column", "field", "message"]
BATCH = 5000


def _csv(rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode()


async def stream(
    sessions: async_sessionmaker[AsyncSession], tenant_id: UUID, import_id: UUID
) -> AsyncIterator[bytes]:
    # The request's session is closed once the response starts: each batch has its own.
    yield _csv([HEADER])
    last = (0, 0)
    while True:
        async with sessions() as session:
            stmt = (
                select(ImportRowError)
                .where(
                    ImportRowError.tenant_id == tenant_id,
                    ImportRowError.import_id == import_id,
                    tuple_(ImportRowError.row, ImportRowError.id) > tuple_(*last),
                )
                .order_by(ImportRowError.row, ImportRowError.id)
                .limit(BATCH)
            )
            errors = list((await session.execute(stmt)).scalars())
        if not errors:
            return
        yield _csv([[e.row, e.column or "", e.field or "", e.message] for e in errors])
        last = (errors[-1].row, errors[-1].id)
