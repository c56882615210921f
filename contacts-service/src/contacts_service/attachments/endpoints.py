from __future__ import annotations

from typing import Annotated
from uuid import UUID

from crm_chassis.auth import ActorDep
from crm_chassis.db import SessionDep, transaction
from crm_chassis.http import IfMatchDep, set_etag
from crm_chassis.middleware import body_limit
from crm_chassis.pagination import Page, PageParamsDep
from crm_chassis.storage import ObjectStore
from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import StreamingResponse

from contacts_service.attachments import service
from contacts_service.attachments.schemas import AttachmentRead
from contacts_service.attachments.service import UploadPolicy
from contacts_service.attachments.upload import FilePart, content_disposition
from contacts_service.deps import READ, WRITE
from contacts_service.notes.service import require_record
from contacts_service.settings import UPLOAD_SLACK_BYTES

router = APIRouter(prefix="/v1", tags=["attachments"])


def _store(request: Request) -> ObjectStore:
    store: ObjectStore = request.app.state.object_store
    return store


def _policy(request: Request) -> UploadPolicy:
    settings = request.app.state.settings
    return UploadPolicy(
        max_bytes=settings.attachment_max_bytes, types=frozenset(settings.attachment_types)
    )


StoreDep = Annotated[ObjectStore, Depends(_store)]
PolicyDep = Annotated[UploadPolicy, Depends(_policy)]

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "the document; its part's Content-Type is its type",
                        }
                    },
                }
            }
        },
    },
    "responses": {
        "413": {"description": "the file exceeds the size limit"},
        "415": {"description": "the type is not accepted, or the content is not of that type"},
    },
}


def _record_routes(kind: str) -> None:
    """Upload to and list the attachments of a contact or an account."""

    async def upload(
        record_id: UUID,
        request: Request,
        session: SessionDep,
        principal: ActorDep,
        response: Response,
        store: StoreDep,
        policy: PolicyDep,
    ) -> AttachmentRead:
        # Check the record in a short transaction of its own, so a wrong id answers 404 at
        # once and no pooled connection idles in the request session during a slow upload.
        async with transaction(request.app.state.sessions) as check:
            await require_record(check, principal, kind, record_id)
        attachment = await service.add(
            session=session,
            store=store,
            who=principal,
            kind=kind,
            record_id=record_id,
            uploaded_by=principal.user_id,
            upload=FilePart(request.stream(), request.headers.get("content-type")),
            policy=policy,
        )
        response.headers["Location"] = f"/v1/attachments/{attachment.id}"
        set_etag(response, attachment.version)
        return AttachmentRead.model_validate(attachment)

    async def list_(
        record_id: UUID, session: SessionDep, principal: ActorDep, page: PageParamsDep
    ) -> Page[AttachmentRead]:
        rows, cursor = await service.list_page(
            session=session, who=principal, kind=kind, record_id=record_id, params=page
        )
        return Page(data=[AttachmentRead.model_validate(r) for r in rows], next_cursor=cursor)

    path = f"/{kind}s/{{record_id:uuid}}/attachments"
    router.add_api_route(
        path,
        upload,
        methods=["POST"],
        status_code=status.HTTP_201_CREATED,
        dependencies=WRITE,
        name=f"upload_{kind}_attachment",
        description=f"Attach a document to a {kind} (multipart/form-data, part ``file``).",
        openapi_extra={
            **UPLOAD_BODY,
            **body_limit("attachment_max_bytes", slack=UPLOAD_SLACK_BYTES),
        },
    )
    router.add_api_route(
        path, list_, methods=["GET"], dependencies=READ, name=f"list_{kind}_attachments"
    )


for _kind in ("contact", "account"):
    _record_routes(_kind)


@router.get("/attachments/{attachment_id:uuid}", dependencies=READ)
async def get_attachment(
    attachment_id: UUID, session: SessionDep, principal: ActorDep, response: Response
) -> AttachmentRead:
    attachment = await service.get(session=session, who=principal, attachment_id=attachment_id)
    set_etag(response, attachment.version)
    return AttachmentRead.model_validate(attachment)


@router.get(
    "/attachments/{attachment_id:uuid}/content",
    dependencies=READ,
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def download_attachment(
    attachment_id: UUID, session: SessionDep, principal: ActorDep, store: StoreDep
) -> StreamingResponse:
    """The content, streamed, always as a download (never rendered inline)."""
    attachment = await service.get(session=session, who=principal, attachment_id=attachment_id)
    chunks = await service.open_content(store=store, attachment=attachment)
    return StreamingResponse(
        chunks,
        media_type=attachment.content_type,
        headers={
            "Content-Length": str(attachment.size_bytes),
            "Content-Disposition": content_disposition(attachment.filename),
            "ETag": f'"{attachment.sha256}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-cache",
        },
    )


@router.delete(
    "/attachments/{attachment_id:uuid}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WRITE
)
async def delete_attachment(
    attachment_id: UUID, session: SessionDep, principal: ActorDep, if_match: IfMatchDep = None
) -> None:
    await service.remove(
        session=session,
        who=principal,
        attachment_id=attachment_id,
        if_match=if_match,
    )
