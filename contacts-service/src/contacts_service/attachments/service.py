"""Attachment use cases (C9). Functions take keyword arguments and never commit.

The content goes to the object store before the row is written, so a row never points
at missing content. Removing content is deferred to a job scheduled in the same
transaction as the row's deletion: the bytes go only once the deletion has committed.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.errors import NotFound, UnsupportedMediaType
from crm_chassis.http import check_if_match
from crm_chassis.ids import new_id
from crm_chassis.jobs import Job, JobHandler, schedule
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams
from crm_chassis.repository import actor_of
from crm_chassis.storage import ObjectMissing, ObjectStore
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.attachments import events
from contacts_service.attachments.models import Attachment
from contacts_service.attachments.repository import AttachmentRepository
from contacts_service.attachments.upload import FILE_FIELD, FilePart, Intake
from contacts_service.notes.service import require_record

PURGE_JOB = "attachments.purge_object"


@dataclass(frozen=True)
class UploadPolicy:
    max_bytes: int
    types: frozenset[str]


def storage_key(tenant_id: UUID, attachment_id: UUID) -> str:
    # Only ids the service made: nothing a client sends ever reaches a key.
    return f"{tenant_id}/{attachment_id}"


async def add(
    *,
    session: AsyncSession,
    store: ObjectStore,
    who: Actor | UUID,
    kind: str,
    record_id: UUID,
    uploaded_by: UUID,
    upload: FilePart,
    policy: UploadPolicy,
) -> Attachment:
    part = await upload.open()
    if part.content_type not in policy.types:
        declared = part.content_type or "none"
        raise UnsupportedMediaType(
            f"Files of type {declared} are not accepted",
            errors=[
                {
                    "field": FILE_FIELD,
                    "message": f"accepted types: {', '.join(sorted(policy.types))}",
                }
            ],
        )
    attachment_id = new_id()
    tenant_id = actor_of(who).tenant_id
    key = storage_key(tenant_id, attachment_id)
    intake = Intake(part.chunks(), content_type=part.content_type, max_bytes=policy.max_bytes)
    await store.put_stream(key, intake, content_type=part.content_type)
    try:
        await require_record(session, who, kind, record_id)
        attachment = await AttachmentRepository(session, who).add(
            Attachment(
                id=attachment_id,
                tenant_id=tenant_id,
                contact_id=record_id if kind == "contact" else None,
                account_id=record_id if kind == "account" else None,
                filename=part.filename,
                content_type=part.content_type,
                size_bytes=intake.size,
                sha256=intake.sha256,
                storage_key=key,
                uploaded_by=uploaded_by,
            )
        )
        await emit(session, events.added(attachment))
    except BaseException:
        # Nothing refers to the content yet. (A failure of the request's final commit
        # would still leave it behind; such orphans are harmless and unreachable.)
        with contextlib.suppress(Exception):
            await store.delete(key)
        raise
    return attachment


async def get(*, session: AsyncSession, who: Actor | UUID, attachment_id: UUID) -> Attachment:
    attachment = await AttachmentRepository(session, who).get(attachment_id)
    if attachment is None:
        raise NotFound(f"No attachment {attachment_id}")
    return attachment


async def list_page(
    *, session: AsyncSession, who: Actor | UUID, kind: str, record_id: UUID, params: PageParams
) -> tuple[list[Attachment], str | None]:
    await require_record(session, who, kind, record_id)
    repo = AttachmentRepository(session, who)
    return await repo.page(params, repo.of(kind, record_id))


async def open_content(*, store: ObjectStore, attachment: Attachment) -> AsyncIterator[bytes]:
    try:
        return await store.get_stream(attachment.storage_key)
    except ObjectMissing as exc:  # removed meanwhile
        raise NotFound(f"The content of attachment {attachment.id} is gone") from exc


async def _remove(session: AsyncSession, repo: AttachmentRepository, item: Attachment) -> None:
    await emit(session, events.removed(item))
    await repo.delete(item)
    await schedule(
        session,
        kind=PURGE_JOB,
        due_at=utcnow(),
        payload={"key": item.storage_key},
        tenant_id=item.tenant_id,
        dedupe_key=f"{PURGE_JOB}:{item.storage_key}",
    )


async def remove(
    *, session: AsyncSession, who: Actor | UUID, attachment_id: UUID, if_match: str | None
) -> None:
    repo = AttachmentRepository(session, who)
    attachment = await repo.get(attachment_id, for_update=True)
    if attachment is None:
        raise NotFound(f"No attachment {attachment_id}")
    check_if_match(if_match, attachment.version)
    await _remove(session, repo, attachment)


async def detach_record(
    *, session: AsyncSession, tenant_id: UUID, kind: str, record_id: UUID
) -> None:
    """A contact or account was deleted: its attachments go with it."""
    repo = AttachmentRepository(session, tenant_id)
    for attachment in await repo.of_record(kind, record_id):
        await _remove(session, repo, attachment)


def purge_handler(store: ObjectStore) -> JobHandler:
    """The job that deletes a removed attachment's content from the store."""

    async def purge(session: AsyncSession, job: Job) -> None:
        await store.delete(str(job.payload["key"]))

    return purge
