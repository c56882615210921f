"""``/v1/admin/dead-letters``: the events this service's consumers gave up on, and a replay
of one once the cause is fixed (see :mod:`crm_chassis.dead_letters` for how a replay takes
effect exactly once).

A tenant's admin sees the dead letters of their tenant and of this service's consumers
(``app.state.consumers``); another tenant's letter, or another service's, answers 404
like a missing one. The cursor is the dead-letter stream sequence of the last letter of
the page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from nats.js import JetStreamContext

from crm_chassis.auth import Actor, require_scope
from crm_chassis.dead_letters import DeadLetter, list_dead_letters, replay_dead_letter
from crm_chassis.errors import NotFound, ServiceUnavailable, ValidationFailed
from crm_chassis.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(prefix="/v1/admin/dead-letters", tags=["admin"])
AdminDep = Annotated[Actor, require_scope("admin")]


async def _jetstream(request: Request) -> JetStreamContext:
    try:
        return await request.app.state.bus.wait_ready(timeout=5.0)
    except TimeoutError:
        raise ServiceUnavailable("The event bus is not reachable") from None


def _consumers(request: Request) -> list[str]:
    return [c.name for c in getattr(request.app.state, "consumers", ())]


def _after(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or not 0 < int(cursor) < 2**63:
        raise ValidationFailed(
            "The cursor is not one this list returned",
            errors=[{"field": "cursor", "message": "not a cursor of this list"}],
        )
    return int(cursor)


@router.get("", response_model=Page[DeadLetter])
async def list_letters(
    request: Request,
    actor: AdminDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[DeadLetter]:
    """The tenant's dead letters of this service, oldest first."""
    letters, last = await list_dead_letters(
        await _jetstream(request),
        consumers=_consumers(request),
        tenant_id=actor.tenant_id,
        after=_after(cursor),
        limit=limit,
    )
    return Page[DeadLetter](
        data=letters,
        next_cursor=str(last) if last is not None else None,
    )


@router.post("/{seq}/replay", response_model=DeadLetter, status_code=202)
async def replay_letter(
    request: Request, actor: AdminDep, seq: Annotated[int, Path(ge=1, lt=2**63)]
) -> DeadLetter:
    """Publish the letter's event again on its subject and remove the letter; 202, as the
    consumer handles it in the background."""
    letter = await replay_dead_letter(
        await _jetstream(request), consumers=_consumers(request), tenant_id=actor.tenant_id, seq=seq
    )
    if letter is None:
        raise NotFound(f"No dead letter {seq}")
    return letter
