"""Import jobs (C7): upload -> ``imports`` row + a chassis long task sharing its id.

Each step of the task imports one chunk (1,000 rows) through the batch path
(``batch.apply``), and commits it together with the import's progress (the byte offset
reached, the counts) and its row errors, so progress is exact after a crash and a large
file shows progress chunk by chunk.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from anyio import Path as AsyncPath
from anyio import to_thread
from crm_chassis import tasks
from crm_chassis.errors import NotFound, ValidationFailed
from crm_chassis.ids import new_id
from crm_chassis.jobs import Job, JobHandler, schedule
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams, apply_keyset, page_of
from crm_chassis.repository import TenantRepository
from crm_chassis.tasks import Task
from crm_proto.events.contacts import ImportCompleted
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.custom_fields.service import definitions
from contacts_service.events import events
from contacts_service.imports import batch, mapping, readers, vcard
from contacts_service.imports.models import Import, ImportRowError
from contacts_service.imports.schemas import COUNTS, ImportRead
from contacts_service.settings import ContactsSettings

TASK_KIND = "contacts.import"
CLEANUP_KIND = "contacts.import.cleanup"
CHUNK_ROWS = 1000


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
    user_id: UUID | None,
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
) -> tuple[Import, Task]:
    """Record an uploaded file (already at ``path``) as a queued import and its task."""
    columns, position = await to_thread.run_sync(check_mapping, path, fmt, explicit, delimiter)
    imp = await ImportRepository(session, tenant_id).add(
        Import(
            id=import_id,
            tenant_id=tenant_id,
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
            created_by=user_id,
        )
    )
    task = await tasks.start(
        session, TASK_KIND, tenant_id=tenant_id, task_id=imp.id, state={"position": position}
    )
    return imp, task


async def get(*, session: AsyncSession, tenant_id: UUID, import_id: UUID) -> tuple[Import, Task]:
    imp = await ImportRepository(session, tenant_id).get(import_id)
    if imp is None:
        raise NotFound(f"No import {import_id}")
    return imp, await tasks.get(session, tenant_id=tenant_id, task_id=imp.id)


async def list_page(
    *, session: AsyncSession, tenant_id: UUID, params: PageParams
) -> tuple[list[tuple[Import, Task]], str | None]:
    repo = ImportRepository(session, tenant_id)
    stmt, sort = apply_keyset(
        repo.select(), params, sortable={"created_at": Import.created_at}, id_column=Import.id
    )
    rows, cursor = page_of(await repo.list(stmt), params, sort, lambda r: (r.created_at, r.id))
    by_id = await tasks.get_many(session, tenant_id=tenant_id, task_ids=[r.id for r in rows])
    return [(r, by_id[r.id]) for r in rows], cursor


# -- the job ------------------------------------------------------------------------------


def task_kind(settings: ContactsSettings) -> tasks.TaskKind:
    """The import's long task, for ``crm_chassis.tasks.job_handlers``."""

    async def step(session: AsyncSession, task: Task) -> bool:
        return await import_chunk(session, task, phone_region=settings.default_phone_region)

    return tasks.TaskKind(TASK_KIND, step, on_finish=_finish)


def job_handlers() -> dict[str, JobHandler]:
    """The clean-up of finished files, for ``create_service_app``."""

    async def cleanup(session: AsyncSession, job: Job) -> None:
        await AsyncPath(job.payload["path"]).unlink(missing_ok=True)

    return {CLEANUP_KIND: cleanup}


async def import_chunk(session: AsyncSession, task: Task, *, phone_region: str) -> bool:
    """The task's step: import the next chunk of its file; True once the file is done."""
    imp = await ImportRepository(session, task.tenant_id).get(task.id)
    if imp is None:
        raise tasks.TaskFailed("the import is gone")
    path = Path(imp.path)
    try:
        if not await AsyncPath(path).exists():
            raise readers.FileProblem("the uploaded file is no longer on the imports volume")
        position = task.state["position"]
        if task.total is None:
            # Files are read in a worker thread: a large one must not stall the event loop.
            task.total = await to_thread.run_sync(
                partial(vcard.count_cards, path)
                if imp.format == "vcard"
                else partial(readers.csv_count, path, imp.delimiter, position)
            )
        defs = await definitions(session, imp.tenant_id, "contact")
        read = partial(_read_chunk, imp.format, imp.columns, imp.mapping, imp.delimiter)
        rows, task.state["position"] = await to_thread.run_sync(
            read, path, position, task.done, defs
        )
    except (readers.FileProblem, mapping.MappingError) as exc:
        raise tasks.TaskFailed(str(exc)) from None
    if rows:
        await _import_chunk(session, imp, task, rows, phone_region)
    if len(rows) == CHUNK_ROWS:
        return False
    task.total = task.done
    return True


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
    session: AsyncSession, imp: Import, task: Task, rows: list[Row], phone_region: str
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
    task.done += len(rows)
    for name, status in zip(COUNTS, _STATUSES, strict=True):
        task.result[name] = task.result.get(name, 0) + counts[status]


_STATUSES = (batch.Status.CREATED, batch.Status.UPDATED, batch.Status.UNCHANGED, batch.Status.ERROR)


_EVENT_FIELDS = set(ImportCompleted.model_fields) - {"import_id"}


async def _finish(session: AsyncSession, task: Task) -> None:
    """The task ended: its event, and the file's removal once this commits."""
    imp = await ImportRepository(session, task.tenant_id).get(task.id)
    if imp is None:
        return
    await emit(
        session,
        events.event(
            "crm.contacts.import.completed.v1",
            ImportCompleted(
                import_id=imp.id, **ImportRead.of(imp, task).model_dump(include=_EVENT_FIELDS)
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
