"""Import jobs (C7): upload -> ``imports`` row + job; the job imports a chunk at a time.

Every chunk (1,000 rows) goes through the batch path (``batch.apply``) in the job's
transaction together with the import's progress and its row errors, so progress is
exact after a crash. A run stops after a time budget and schedules the next run, so a
large file commits (and shows progress) every few seconds instead of in one transaction.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from anyio import Path as AsyncPath
from anyio import to_thread
from crm_chassis.errors import NotFound, ValidationFailed
from crm_chassis.ids import new_id
from crm_chassis.jobs import Job, JobHandler, schedule
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams
from crm_chassis.repository import TenantRepository
from crm_proto.events.contacts import ImportCompleted
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.custom_fields.service import definitions
from contacts_service.events import events
from contacts_service.imports import batch, mapping, readers, vcard
from contacts_service.imports.models import Import, ImportRowError
from contacts_service.settings import ContactsSettings

JOB_KIND = "contacts.import"
CLEANUP_KIND = "contacts.import.cleanup"
CHUNK_ROWS = 1000
RUN_BUDGET_SECONDS = 3.0
DONE = ("completed", "failed")


class ImportRepository(TenantRepository[Import]):
    model = Import


def detect_format(filename: str | None, head: bytes) -> str:
    name = (filename or "").lower()
    if name.endswith((".vcf", ".vcard")) or head.lstrip(readers.BOM).lstrip()[:11].upper() == (
        b"BEGIN:VCARD"
    ):
        return "vcard"
    return "csv"


def _mapping_errors(exc: Exception, column: str | None = None) -> ValidationFailed:
    field = f"mapping.{column}" if column else "mapping"
    return ValidationFailed(str(exc), errors=[{"field": field, "message": str(exc)}])


def check_mapping(
    path: Path, fmt: str, explicit: dict[str, str], delimiter: str
) -> tuple[list[str] | None, int]:
    """Validate the mapping against the file; (CSV header, offset of the first row)."""
    for column, target in explicit.items():
        try:
            mapping.parse_target(target)
        except mapping.MappingError as exc:
            raise _mapping_errors(exc, column) from None
    if fmt == "vcard":
        return None, 0
    try:
        columns, position = readers.csv_header(path, delimiter)
        mapping.resolve(columns, explicit)
    except readers.FileProblem as exc:
        raise ValidationFailed(str(exc), errors=[{"field": "file", "message": str(exc)}]) from None
    except mapping.MappingError as exc:
        raise _mapping_errors(exc) from None
    return columns, position


async def create(
    *,
    session: AsyncSession,
    tenant_id: UUID,
    user_id: str,
    import_id: UUID,
    path: Path,
    size_bytes: int,
    filename: str | None,
    fmt: str,
    explicit: dict[str, str],
    delimiter: str,
    mode: batch.Mode,
    match_on: batch.MatchOn,
    dry_run: bool,
) -> Import:
    """Record an uploaded file (already at ``path``) as a queued import and schedule it."""
    columns, position = await to_thread.run_sync(check_mapping, path, fmt, explicit, delimiter)
    job = await ImportRepository(session, tenant_id).add(
        Import(
            id=import_id,
            tenant_id=tenant_id,
            status="queued",
            format=fmt,
            filename=filename,
            path=str(path),
            size_bytes=size_bytes,
            mapping=explicit,
            delimiter=delimiter,
            mode=mode.value,
            match_on=match_on.value,
            dry_run=dry_run,
            columns=columns,
            position=position,
            created_by=user_id,
        )
    )
    await schedule(
        session,
        kind=JOB_KIND,
        due_at=datetime.now(UTC),
        payload={"import_id": str(job.id)},
        tenant_id=tenant_id,
    )
    return job


async def get(*, session: AsyncSession, tenant_id: UUID, import_id: UUID) -> Import:
    job = await ImportRepository(session, tenant_id).get(import_id)
    if job is None:
        raise NotFound(f"No import {import_id}")
    return job


async def list_page(
    *, session: AsyncSession, tenant_id: UUID, params: PageParams
) -> tuple[list[Import], str | None]:
    from crm_chassis.pagination import apply_keyset, page_of

    repo = ImportRepository(session, tenant_id)
    stmt, sort = apply_keyset(
        repo.select(), params, sortable={"created_at": Import.created_at}, id_column=Import.id
    )
    rows = await repo.list(stmt)
    return page_of(rows, params, sort, lambda r: (r.created_at, r.id))


# -- the job ------------------------------------------------------------------------------


def job_handlers(settings: ContactsSettings) -> dict[str, JobHandler]:
    """The import job and the clean-up of finished files, for ``create_service_app``."""

    async def run(session: AsyncSession, job: Job) -> None:
        await run_import(session=session, job=job, phone_region=settings.default_phone_region)

    async def cleanup(session: AsyncSession, job: Job) -> None:
        await AsyncPath(job.payload["path"]).unlink(missing_ok=True)

    return {JOB_KIND: run, CLEANUP_KIND: cleanup}


async def run_import(*, session: AsyncSession, job: Job, phone_region: str) -> None:
    """Import chunks of the job's file until it ends or the run's time budget is spent."""
    assert job.tenant_id is not None
    imp = await ImportRepository(session, job.tenant_id).get(
        UUID(job.payload["import_id"]), for_update=True
    )
    if imp is None or imp.status in DONE:
        return
    path = Path(imp.path)
    deadline = time.monotonic() + RUN_BUDGET_SECONDS
    try:
        if not await AsyncPath(path).exists():
            raise readers.FileProblem("the uploaded file is no longer on the imports volume")
        if imp.status == "queued":
            imp.status, imp.started_at = "running", datetime.now(UTC)
            # Files are read in a worker thread: a large one must not stall the event loop.
            imp.total_rows = await to_thread.run_sync(
                partial(vcard.count_cards, path)
                if imp.format == "vcard"
                else partial(readers.csv_count, path, imp.delimiter, imp.position)
            )
        defs = await definitions(session, imp.tenant_id, "contact")
        while True:
            read = partial(_read_chunk, imp.format, imp.columns, imp.mapping, imp.delimiter)
            rows, position = await to_thread.run_sync(read, path, imp.position, imp.processed, defs)
            imp.position = position
            if not rows:
                await _finish(session, imp, "completed")
                break
            await _import_chunk(session, imp, rows, phone_region)
            if time.monotonic() > deadline:
                await schedule(
                    session,
                    kind=JOB_KIND,
                    due_at=datetime.now(UTC),
                    payload=job.payload,
                    tenant_id=imp.tenant_id,
                )
                break
    except (readers.FileProblem, mapping.MappingError) as exc:
        await _finish(session, imp, "failed", error=str(exc))
    await session.flush()


Row = tuple[int, dict[str, Any], dict[str, str]]


def _read_chunk(
    fmt: str,
    columns: list[str] | None,
    explicit: dict[str, str],
    delimiter: str,
    path: Path,
    position: int,
    processed: int,
    defs: dict[str, Any],
) -> tuple[list[Row], int]:
    """The next chunk's (row number, item, origin) from ``position``, and the new position."""
    first = processed + (1 if fmt == "vcard" else 2)  # CSV row 1 is the header
    if fmt == "vcard":
        cards, position = vcard.read_cards(path, position, CHUNK_ROWS)
        items = [vcard.to_item(card, explicit, defs) for card in cards]
    else:
        targets = mapping.resolve(columns or [], explicit)
        records, position = readers.csv_records(path, delimiter, position, CHUNK_ROWS)
        items = [mapping.to_item(cells, targets, columns or [], defs) for cells in records]
    return [(first + k, item, origin) for k, (item, origin) in enumerate(items)], position


async def _import_chunk(
    session: AsyncSession, imp: Import, rows: list[Row], phone_region: str
) -> None:
    results = await batch.apply(
        session=session,
        tenant_id=imp.tenant_id,
        items=[item for _, item, _ in rows],
        mode=batch.Mode(imp.mode),
        match_on=batch.MatchOn(imp.match_on),
        phone_region=phone_region,
        write=not imp.dry_run,
    )
    errors = []
    for (row, _, origin), result in zip(rows, results, strict=True):
        if result.status is batch.Status.ERROR:
            errors += [
                {
                    "import_id": imp.id,
                    "tenant_id": imp.tenant_id,
                    "row": row,
                    "column": mapping.column_of(e["field"], origin),
                    "field": e["field"],
                    "message": e["message"],
                }
                for e in result.errors
            ]
    if errors:
        await session.execute(insert(ImportRowError), errors)
    counts = dict.fromkeys(batch.Status, 0)
    for result in results:
        counts[result.status] += 1
    imp.processed += len(rows)
    imp.created += counts[batch.Status.CREATED]
    imp.updated += counts[batch.Status.UPDATED]
    imp.unchanged += counts[batch.Status.UNCHANGED]
    imp.failed += counts[batch.Status.ERROR]


async def _finish(
    session: AsyncSession, imp: Import, status: str, *, error: str | None = None
) -> None:
    imp.status, imp.error, imp.finished_at = status, error, datetime.now(UTC)
    if imp.total_rows is None or status == "completed":
        imp.total_rows = imp.processed
    await session.flush()
    await emit(
        session,
        events.event(
            "crm.contacts.import.completed.v1",
            ImportCompleted(
                import_id=imp.id,
                status=status,
                dry_run=imp.dry_run,
                filename=imp.filename,
                total_rows=imp.total_rows or 0,
                processed=imp.processed,
                created=imp.created,
                updated=imp.updated,
                unchanged=imp.unchanged,
                failed=imp.failed,
                error=error,
                started_at=imp.started_at,
                finished_at=imp.finished_at,
            ),
            tenant_id=imp.tenant_id,
            subject=imp.id,
            sequence=imp.version,
        ),
    )
    # The file goes once this transaction has committed (a separate job), never before.
    await schedule(
        session,
        kind=CLEANUP_KIND,
        due_at=datetime.now(UTC),
        payload={"path": imp.path},
        tenant_id=imp.tenant_id,
    )


def new_import_id() -> UUID:
    return new_id()
