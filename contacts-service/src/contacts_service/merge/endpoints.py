"""Routes of duplicates, merge and undo (C6), the same for contacts and accounts.

Duplicate review, merging and the merge history show and change records side by side,
before-images included: they are a data steward's work, open to a caller who sees every
record of the kind and every field of it (visibility ``all``, no field allow-list);
anyone else gets a 403.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from crm_chassis.auth import ActorDep
from crm_chassis.db import SessionDep
from crm_chassis.http import IfMatchDep, set_etag
from crm_chassis.pagination import Page, PageParamsDep
from fastapi import APIRouter, Body, Depends, Query, Request, Response, status

from contacts_service.deps import READ, WRITE, PhoneRegionDep, steward
from contacts_service.merge import duplicates, service, undo
from contacts_service.merge.kinds import ACCOUNT, CONTACT, KINDS, Kind
from contacts_service.merge.models import DuplicatePair, Merge
from contacts_service.merge.schemas import (
    Duplicate,
    MergePreview,
    MergeRead,
    MergeRequest,
    MergeResult,
    PairRead,
    RecordSummary,
    ScanRead,
    ScanRequest,
    UndoRequest,
    UndoResult,
)


def _undo_window(request: Request) -> timedelta:
    return timedelta(hours=getattr(request.app.state.settings, "merge_undo_hours", 72))


UndoWindowDep = Annotated[timedelta, Depends(_undo_window)]
MinScore = Annotated[float, Query(ge=0.0, le=1.0)]


def merge_view(record: Merge, window: timedelta) -> MergeRead:
    kind = KINDS[record.kind]
    shown = set(kind.read.model_fields)
    children: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"moved": 0, "dropped": 0}
    )
    for entry in record.moved:
        children[(entry["table"], entry["column"])]["moved"] += len(entry["keys"])
    for entry in record.dropped:
        children[(entry["table"], entry["column"])]["dropped"] += 1
    return MergeRead.model_validate(
        {
            "id": record.id,
            "kind": record.kind,
            "primary_id": record.primary_id,
            "merged_ids": record.merged_ids,
            "fields": record.fields,
            "before": {
                i: {k: v for k, v in row.items() if k in shown} for i, row in record.before.items()
            },
            "children": [{"table": t, "column": c, **n} for (t, c), n in children.items()],
            "merged_by": record.merged_by,
            "created_at": record.created_at,
            "undo_until": record.created_at + window,
            "undone_at": record.undone_at,
            "undone_by": record.undone_by,
        }
    )


def _summary(kind: Kind, record: Any) -> RecordSummary:
    if kind is ACCOUNT:
        return RecordSummary(id=record.id, name=record.name, domain=record.domain)
    name = " ".join(p for p in (record.first_name, record.last_name) if p) or None
    return RecordSummary(id=record.id, name=name, email=record.email)


def kind_router(kind: Kind) -> APIRouter:
    base = f"/v1/{kind.table}"
    router = APIRouter(prefix=base, tags=[kind.table], dependencies=steward(kind.name))
    read = kind.read

    @router.get(
        "/duplicates",
        dependencies=READ,
        response_model=Page[PairRead],
        summary=f"Duplicate {kind.name} pairs found by scans, best first",
    )
    async def list_pairs(
        session: SessionDep, principal: ActorDep, page: PageParamsDep, min_score: MinScore = 0.0
    ) -> Page[PairRead]:
        rows, cursor = await duplicates.list_pairs(
            session=session,
            tenant_id=principal.tenant_id,
            kind=kind,
            params=page,
            min_score=min_score,
        )
        return Page(data=[_pair(kind, *row) for row in rows], next_cursor=cursor)

    @router.post(
        "/duplicates/scan",
        status_code=status.HTTP_202_ACCEPTED,
        dependencies=WRITE,
        summary=f"Start a scan of the tenant's {kind.table} for duplicates",
    )
    async def start_scan(
        session: SessionDep,
        principal: ActorDep,
        response: Response,
        body: Annotated[ScanRequest | None, Body()] = None,
    ) -> ScanRead:
        scan = await duplicates.start_scan(
            session=session,
            tenant_id=principal.tenant_id,
            kind=kind,
            min_score=(body or ScanRequest()).min_score,
            actor=principal.user_id,
        )
        response.headers["Location"] = f"{base}/duplicates/scans/{scan.id}"
        return ScanRead.model_validate(scan)

    @router.get("/duplicates/scans/{scan_id:uuid}", dependencies=READ)
    async def get_scan(scan_id: UUID, session: SessionDep, principal: ActorDep) -> ScanRead:
        scan = await duplicates.get_scan(
            session=session, tenant_id=principal.tenant_id, kind=kind, scan_id=scan_id
        )
        return ScanRead.model_validate(scan)

    @router.post(
        "/merge/preview",
        dependencies=READ,
        response_model=MergePreview[read],  # type: ignore[valid-type]
        summary=f"What merging {kind.table} would do, without doing it",
    )
    async def preview(
        body: MergeRequest, session: SessionDep, principal: ActorDep, region: PhoneRegionDep
    ) -> Any:
        return await service.preview(
            session=session, tenant_id=principal.tenant_id, kind=kind, request=body, region=region
        )

    @router.post(
        "/merge",
        dependencies=WRITE,
        response_model=MergeResult[read],  # type: ignore[valid-type]
        summary=f"Merge {kind.table} into the primary; undoable within the undo window",
    )
    async def merge(
        body: MergeRequest,
        session: SessionDep,
        principal: ActorDep,
        response: Response,
        region: PhoneRegionDep,
        window: UndoWindowDep,
        if_match: IfMatchDep = None,
    ) -> Any:
        record, survivor = await service.merge(
            session=session,
            tenant_id=principal.tenant_id,
            kind=kind,
            request=body,
            if_match=if_match,
            region=region,
            actor=principal.user_id,
        )
        set_etag(response, survivor.version)
        response.headers["Location"] = f"/v1/merges/{record.id}"
        return {"merge": merge_view(record, window), "record": read.model_validate(survivor)}

    @router.get(
        "/{record_id:uuid}/duplicates",
        dependencies=READ,
        response_model=Page[Duplicate[read]],  # type: ignore[valid-type]
        summary=f"{kind.name.capitalize()}s that may duplicate this one, scored 0-1 with reasons",
    )
    async def for_record(
        record_id: UUID,
        session: SessionDep,
        principal: ActorDep,
        min_score: MinScore = 0.6,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Any:
        found = await duplicates.for_record(
            session=session,
            tenant_id=principal.tenant_id,
            kind=kind,
            record_id=record_id,
            min_score=min_score,
            limit=limit,
        )
        data = [
            {
                "id": r.id,
                "score": m.score,
                "reasons": [x.as_dict() for x in m.reasons],
                "record": read.model_validate(r),
            }
            for r, m in found
        ]
        return {"data": data, "next_cursor": None}

    return router


def _pair(kind: Kind, pair: DuplicatePair, a: Any, b: Any) -> PairRead:
    return PairRead(
        id=pair.id,
        score=pair.score,
        reasons=pair.reasons,
        a=_summary(kind, a),
        b=_summary(kind, b),
        scan_id=pair.scan_id,
        found_at=pair.found_at,
    )


# A merge record holds the before-images of contacts and accounts alike.
merges_router = APIRouter(
    prefix="/v1/merges",
    tags=["merges"],
    dependencies=steward("contact", "account"),
)


@merges_router.get("", dependencies=READ)
async def list_merges(
    session: SessionDep,
    principal: ActorDep,
    page: PageParamsDep,
    window: UndoWindowDep,
    kind: Annotated[str | None, Query(pattern="^(contact|account)$")] = None,
    record_id: Annotated[UUID | None, Query(description="merges this record took part in")] = None,
) -> Page[MergeRead]:
    rows, cursor = await service.list_merges(
        session=session, tenant_id=principal.tenant_id, params=page, kind=kind, record_id=record_id
    )
    return Page(data=[merge_view(r, window) for r in rows], next_cursor=cursor)


@merges_router.get("/{merge_id:uuid}", dependencies=READ)
async def get_merge(
    merge_id: UUID, session: SessionDep, principal: ActorDep, window: UndoWindowDep
) -> MergeRead:
    record = await service.get_merge(
        session=session, tenant_id=principal.tenant_id, merge_id=merge_id
    )
    return merge_view(record, window)


@merges_router.post("/{merge_id:uuid}/undo", dependencies=WRITE)
async def undo_merge(
    merge_id: UUID,
    session: SessionDep,
    principal: ActorDep,
    window: UndoWindowDep,
    body: Annotated[UndoRequest | None, Body()] = None,
) -> UndoResult:
    record, not_restored = await undo.undo(
        session=session,
        tenant_id=principal.tenant_id,
        merge_id=merge_id,
        force=(body or UndoRequest()).force,
        actor=principal.user_id,
        window=window,
    )
    return UndoResult(
        merge=merge_view(record, window),
        restored_ids=record.merged_ids,
        rows_not_restored=not_restored,
    )


routers = [kind_router(CONTACT), kind_router(ACCOUNT), merges_router]
