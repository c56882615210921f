"""Routes of C7's writes: ``POST /v1/contacts/batch`` and the import jobs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import anyio
import orjson
from crm_chassis.auth import ActorDep
from crm_chassis.batches import json_body
from crm_chassis.db import SessionDep
from crm_chassis.errors import PayloadTooLarge, ValidationFailed
from crm_chassis.middleware import body_limit
from crm_chassis.openapi import inline_schema
from crm_chassis.outbox import json_default
from crm_chassis.pagination import Page, PageParamsDep
from crm_chassis.resources import errors_of
from fastapi import APIRouter, File, Form, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from contacts_service.deps import READ, WRITE, PhoneRegionDep, steward
from contacts_service.imports import batch, errors_csv, service
from contacts_service.imports.schemas import (
    BatchRequest,
    BatchRequestDoc,
    BatchResponse,
    ImportRead,
)
from contacts_service.settings import UPLOAD_SLACK_BYTES

# Batch and import match and write many contacts at once: a data steward's work.
router = APIRouter(tags=["imports"], dependencies=steward("contact"))
COPY_CHUNK = 1024 * 1024

_BATCH_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": inline_schema(BatchRequestDoc)}},
    }
}


@router.post(
    "/v1/contacts/batch",
    dependencies=WRITE,
    # 1,000 contacts with several channels each pass the JSON API's default limit.
    openapi_extra={**_BATCH_DOC, **body_limit(16 * 1024**2)},
    responses={200: {"model": BatchResponse}},
    tags=["contacts"],
)
async def contacts_batch(
    request: Request, session: SessionDep, principal: ActorDep, region: PhoneRegionDep
) -> Response:
    """Create or upsert up to 1,000 contacts; one result per item, in order.

    Answers 200 whenever the batch was processed, even when some or all items failed:
    read each item's ``status``. A bad item is not written; the good ones are, each with
    its event. Only a malformed envelope (not JSON, no ``items``, over 1,000 items, an
    unknown ``mode``) fails the whole request, with a 4xx problem.
    """
    body = await json_body(request)
    try:
        envelope = BatchRequest.model_validate(body)
    except ValidationError as exc:
        raise ValidationFailed("The request did not validate", errors=errors_of(exc)) from None
    results = await batch.apply(
        session=session,
        tenant_id=principal.tenant_id,
        items=envelope.items,
        mode=envelope.mode,
        match_on=envelope.match_on,
        phone_region=region,
    )
    counts = {s.value: 0 for s in batch.Status}
    out = []
    for r in results:
        counts[r.status.value] += 1
        out.append({"index": r.index, "status": r.status.value, "id": r.id, "errors": r.errors})
    payload = {
        "results": out,
        "created": counts["created"],
        "updated": counts["updated"],
        "unchanged": counts["unchanged"],
        "failed": counts["error"],
    }
    return Response(orjson.dumps(payload, default=json_default), media_type="application/json")


def _parse_mapping(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationFailed(
            "mapping must be a JSON object of column -> field",
            errors=[{"field": "mapping", "message": 'expected {"Column": "field", ...}'}],
        )
    return value


async def _save(upload: UploadFile, path: Path, limit: int) -> tuple[int, bytes]:
    """Copy the upload to ``path`` a chunk at a time (the body is never held whole);
    its size and first bytes."""
    await anyio.Path(path.parent).mkdir(parents=True, exist_ok=True)
    written, head = 0, b""
    async with await anyio.open_file(path, "wb") as out:
        while chunk := await upload.read(COPY_CHUNK):
            head = head or chunk[:64]
            written += len(chunk)
            if written > limit:
                raise PayloadTooLarge(f"The file exceeds {limit} bytes")
            await out.write(chunk)
    return written, head


@router.post(
    "/v1/imports",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=WRITE,
    openapi_extra=body_limit("import_max_bytes", slack=UPLOAD_SLACK_BYTES),
)
async def create_import(
    request: Request,
    session: SessionDep,
    principal: ActorDep,
    response: Response,
    file: Annotated[UploadFile, File(description="a CSV (with a header row) or vCard file")],
    mapping: Annotated[
        str | None,
        Form(
            description="JSON object: column (or vCard property) -> field, e.g. "
            '{"E-mail": "email", "Tier": "custom.tier", "Labels": "tags"}'
        ),
    ] = None,
    mode: Annotated[batch.Mode, Form()] = batch.Mode.CREATE,
    match_on: Annotated[batch.MatchOn, Form()] = batch.MatchOn.EMAIL,
    dry_run: Annotated[bool, Form()] = False,
    format: Annotated[str | None, Form(pattern="^(csv|vcard)$")] = None,
    delimiter: Annotated[str, Form(min_length=1, max_length=1)] = ",",
) -> ImportRead:
    """Upload a file to import; answers 202 with the queued import to poll.

    The job imports it in chunks of 1,000 rows through the same path as
    ``POST /v1/contacts/batch``; ``GET /v1/imports/{id}`` shows progress and
    ``GET /v1/imports/{id}/errors.csv`` the rows that failed (header = row 1).
    """
    settings = request.app.state.settings
    explicit = _parse_mapping(mapping)
    import_id = service.new_import_id()
    folder = await anyio.Path(settings.imports_path).resolve()
    path = Path(folder) / f"{import_id}.upload"  # never served back: the id is enough
    try:
        size, head = await _save(file, path, settings.import_max_bytes)
        imp, task = await service.create(
            session=session,
            tenant_id=principal.tenant_id,
            user_id=principal.user_id,
            import_id=import_id,
            path=path,
            size_bytes=size,
            filename=(file.filename or "")[:255] or None,
            fmt=format or service.detect_format(file.filename, head),
            explicit=explicit,
            delimiter=delimiter,
            mode=mode,
            match_on=match_on,
            dry_run=dry_run,
        )
    except BaseException:
        await anyio.Path(path).unlink(missing_ok=True)
        raise
    response.headers["Location"] = f"/v1/imports/{imp.id}"
    return ImportRead.of(imp, task)


@router.get("/v1/imports", dependencies=READ)
async def list_imports(
    session: SessionDep, principal: ActorDep, page: PageParamsDep
) -> Page[ImportRead]:
    rows, cursor = await service.list_page(
        session=session, tenant_id=principal.tenant_id, params=page
    )
    return Page(data=[ImportRead.of(imp, task) for imp, task in rows], next_cursor=cursor)


@router.get("/v1/imports/{import_id:uuid}", dependencies=READ)
async def get_import(import_id: UUID, session: SessionDep, principal: ActorDep) -> ImportRead:
    imp, task = await service.get(
        session=session, tenant_id=principal.tenant_id, import_id=import_id
    )
    return ImportRead.of(imp, task)


@router.get(
    "/v1/imports/{import_id:uuid}/errors.csv",
    dependencies=READ,
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def import_errors(
    import_id: UUID, request: Request, session: SessionDep, principal: ActorDep
) -> StreamingResponse:
    """The import's row errors as CSV (``row,column,field,message``), by row, streamed."""
    imp, _ = await service.get(session=session, tenant_id=principal.tenant_id, import_id=import_id)
    rows: AsyncIterator[bytes] = errors_csv.stream(
        request.app.state.sessions, principal.tenant_id, imp.id
    )
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{imp.id}-errors.csv"'},
    )
