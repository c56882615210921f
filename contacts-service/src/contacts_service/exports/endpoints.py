"""``GET /v1/contacts/export``: every matching contact, streamed as CSV or JSON."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from crm_chassis.auth import ActorDep
from crm_chassis.db import SessionDep
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from contacts_service.contacts.schemas import ContactFilters
from contacts_service.custom_fields.service import definitions
from contacts_service.deps import READ
from contacts_service.exports import service

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    NDJSON = "ndjson"


_MEDIA = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.JSON: "application/json",
    ExportFormat.NDJSON: "application/x-ndjson",
}


@router.get(
    "/export",
    dependencies=READ,
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}, "application/json": {}, "application/x-ndjson": {}}}
    },
)
async def export_contacts(
    request: Request,
    session: SessionDep,
    principal: ActorDep,
    filters: Annotated[ContactFilters, Query()],
    format: ExportFormat = ExportFormat.CSV,
) -> StreamingResponse:
    """The tenant's contacts (same filters as ``GET /v1/contacts``), oldest first, streamed.

    ``csv``: a header row, then one row per contact; emails, phones and tags are joined
    with ``;``, the primary address is spread over ``address.*`` columns and every custom
    field has a ``custom.<key>`` column: the names the import's mapping understands, so the
    file imports back as it is. ``json``: a JSON array of contacts; ``ndjson``: one contact
    per line. Both have every field.
    """
    sessions = request.app.state.sessions
    tenant = principal.tenant_id
    if format is ExportFormat.CSV:
        defs = sorted((await definitions(session, tenant, "contact")).values(), key=lambda d: d.key)
        body = service.as_csv(sessions, principal, filters, defs)
    elif format is ExportFormat.NDJSON:
        body = service.as_ndjson(sessions, principal, filters)
    else:
        body = service.as_json_array(sessions, principal, filters)
    extension = "json" if format is ExportFormat.JSON else format.value
    return StreamingResponse(
        body,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="contacts.{extension}"'},
    )
