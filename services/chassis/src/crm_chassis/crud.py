"""The read-modify-write path every resource shares, so a resource is its schema, its
model and a few lines.

- :data:`CallDep`: the request's session and :class:`~crm_chassis.auth.Actor` together,
  what every use case takes first.
- :class:`View`: how a resource is shown to a caller: its read schema minus the fields the
  caller's role may not see (absent from get, list, search and export alike), with
  ``ETag`` and, for a creation, ``Location``; a write naming a hidden field is a 403.
- :func:`load_for_update`, :func:`changed_columns`, :func:`set_columns`: get-for-update with
  ``If-Match``, and the fields a patch really changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Depends, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from crm_chassis.auth import Actor, ActorDep
from crm_chassis.db import SessionDep, read_engine_of, read_session
from crm_chassis.entity_events import EntityEvents
from crm_chassis.errors import Forbidden
from crm_chassis.http import check_if_match, etag
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams
from crm_chassis.reads import RecordReader
from crm_chassis.repository import TenantRepository
from crm_chassis.resources import patched

S = TypeVar("S", bound=BaseModel)
W = TypeVar("W", bound=BaseModel)
E = TypeVar("E")
JSON = "application/json"


@dataclass(frozen=True)
class Call:
    """Who is calling, the session their request writes through, and the app's settings
    (``None`` when a use case is called from a job or a consumer)."""

    session: AsyncSession
    actor: Actor
    settings: Any = None

    @property
    def tenant_id(self) -> UUID:
        return self.actor.tenant_id


async def _call(request: Request, session: SessionDep, actor: ActorDep) -> Call:
    return Call(session=session, actor=actor, settings=request.app.state.settings)


CallDep = Annotated[Call, Depends(_call)]


class View(Generic[S]):
    """A resource as callers see it: ``schema`` filtered by the caller's allow-list.

    ``name`` is the resource's name in the token's ``fields`` claim (``"contact"``). An
    allow-list entry ``custom.tier`` shows that one key of the ``custom`` object; ``id``
    is always shown.
    """

    def __init__(self, name: str, schema: type[S], *, path: str | None = None) -> None:
        self.name = name
        self.schema = schema
        self.path = path
        self.fields = frozenset(schema.model_fields)

    # -- what a caller may see -------------------------------------------------------
    def allowed(self, actor: Actor) -> frozenset[str] | None:
        """The names this actor may see (``a`` or ``a.b``), or None for all."""
        allowed = actor.allowed_fields(self.name)
        return None if allowed is None else allowed | {"id"}

    def hidden(self, actor: Actor) -> frozenset[str]:
        """Top-level fields wholly hidden from ``actor``."""
        allowed = self.allowed(actor)
        if allowed is None:
            return frozenset()
        return frozenset(f for f in self.fields if not _shows(allowed, f))

    def shape(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` (the JSON form of one record) without what ``actor`` may not see."""
        allowed = self.allowed(actor)
        if allowed is None:
            return data
        return _filtered(allowed, data)

    def dump(self, actor: Actor, entity: Any) -> dict[str, Any]:
        return self.shape(actor, self.schema.model_validate(entity).model_dump(mode="json"))

    # -- responses -------------------------------------------------------------------
    def one(
        self, actor: Actor, entity: Any, *, status: int = 200, created: bool = False
    ) -> Response:
        """One record as JSON with its ``ETag`` (and ``Location`` when ``created``)."""
        if self.allowed(actor) is None:
            body = self.schema.model_validate(entity).model_dump_json().encode()
        else:
            body = _json(self.dump(actor, entity))
        response = Response(body, status_code=status, media_type=JSON)
        version = getattr(entity, "version", None)
        if isinstance(version, int):
            response.headers["ETag"] = etag(version)
        if created:
            response.headers["Location"] = f"{self.path}/{entity.id}"
        return response

    def created(self, actor: Actor, entity: Any) -> Response:
        return self.one(actor, entity, status=201, created=True)

    def page(self, actor: Actor, rows: Sequence[Any], next_cursor: str | None) -> Response:
        """A page ``{"data": [...], "next_cursor": ...}`` of records."""
        data = [self.dump(actor, row) for row in rows]
        return Response(_json({"data": data, "next_cursor": next_cursor}), media_type=JSON)

    def shows(self, actor: Actor, name: str) -> bool:
        """Whether ``actor`` may see ``name`` (a field, or ``field.key``) in full."""
        allowed = self.allowed(actor)
        return allowed is None or _shows_whole(allowed, name)

    def check_readable(self, actor: Actor, names: Iterable[str]) -> None:
        """403 naming every field of ``names`` hidden from ``actor``: filtering or sorting
        by a field would reveal it."""
        refused = sorted({n for n in names if not self.shows(actor, n)})
        if refused:
            raise Forbidden(
                f"Your role may not search by {', '.join(refused)}",
                errors=[{"field": f, "message": "hidden from your role"} for f in refused],
            )

    # -- what a caller may write ---------------------------------------------------------
    def check_writable(self, actor: Actor, body: Mapping[str, Any] | Iterable[str]) -> None:
        """403 naming every field of ``body`` (keys, or ``custom`` keys) hidden from
        ``actor``: a field one may not read is a field one may not write."""
        allowed = self.allowed(actor)
        if allowed is None:
            return
        refused = []
        for name in body:
            if _shows_whole(allowed, name):
                continue
            value = body[name] if isinstance(body, Mapping) else None
            if isinstance(value, Mapping) and _shows(allowed, name):
                refused += [
                    f"{name}.{k}" for k in value if not _shows_whole(allowed, f"{name}.{k}")
                ]
            else:
                refused.append(name)
        if refused:
            raise Forbidden(
                f"Your role may not write {', '.join(sorted(refused))}",
                errors=[{"field": f, "message": "hidden from your role"} for f in sorted(refused)],
            )


def _shows_whole(allowed: frozenset[str], name: str) -> bool:
    """``name`` (``a`` or ``a.b``) is visible in full."""
    head = name.split(".", 1)[0]
    return name in allowed or head in allowed


def _shows(allowed: frozenset[str], name: str) -> bool:
    """Some of top-level ``name`` is visible (itself, or one of its keys)."""
    return name in allowed or any(a.startswith(f"{name}.") for a in allowed)


def _filtered(allowed: frozenset[str], data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name in allowed:
            out[name] = value
        elif isinstance(value, dict) and _shows(allowed, name):
            out[name] = {k: v for k, v in value.items() if f"{name}.{k}" in allowed}
    return out


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


async def load_for_update(repo: TenantRepository[Any], id_: UUID, if_match: str | None) -> Any:
    """The row locked for this transaction, after the client's ``If-Match`` (412)."""
    entity = await repo.require(id_, for_update=True)
    check_if_match(if_match, entity.version)
    return entity


def comparable(value: Any) -> Any:
    """A column value as a patch compares it (UUIDs as the strings JSON carries)."""
    return str(value) if isinstance(value, UUID) else value


def changed_columns(
    entity: Any, new: Mapping[str, Any], *, ignore: Iterable[str] = ()
) -> list[str]:
    """The sorted names of ``new``'s columns whose value differs on ``entity``."""
    skip = set(ignore)
    return sorted(
        k
        for k, v in new.items()
        if k not in skip and comparable(getattr(entity, k)) != comparable(v)
    )


def set_columns(entity: Any, new: Mapping[str, Any], names: Iterable[str]) -> None:
    for name in names:
        setattr(entity, name, new[name])


def patch_model(
    view: View[Any], actor: Actor, entity: Any, write: type[W], body: Any
) -> tuple[W, list[str]]:
    """A JSON Merge Patch of ``entity`` validated as ``write``; the changed field names.

    The patch may name only fields the actor may see (403 otherwise); hidden fields keep
    their stored values.
    """
    if isinstance(body, Mapping):
        view.check_writable(actor, body)
    current = view.schema.model_validate(entity).model_dump(mode="json")
    return patched(current, write, body)


def removed_keys(body: Any, name: str = "custom") -> set[str]:
    """Keys a merge patch sets to null inside the object field ``name``."""
    inner = body.get(name) if isinstance(body, Mapping) else None
    return {k for k, v in inner.items() if v is None} if isinstance(inner, Mapping) else set()


class Crud(Generic[E]):
    """The use cases of a resource (create, get, page, patch, delete), each with its
    event. A resource with rules of its own overrides a hook (``check_create``,
    ``check_patch``, ``before_delete``, ``deleted_event``) or a whole use case.

    ``write`` validates a creation, ``update`` (default ``write``) the result of a merge
    patch; ``columns(model)`` gives the stored columns of either (default: its fields).
    """

    def __init__(
        self,
        repository: type[TenantRepository[Any]],
        view: View[Any],
        write: type[BaseModel],
        events: EntityEvents,
        *,
        update: type[BaseModel] | None = None,
        columns: Any = None,
    ) -> None:
        self.repository = repository
        self.view = view
        self.write = write
        self.update = update or write
        self.events = events
        self.columns = columns or (lambda data: data.model_dump(mode="python"))
        self.reader = RecordReader.for_model(
            repository.model, list(view.fields), has_parents=bool(repository.parents)
        )
        """The one-round-trip path of :meth:`read`, when the model and schema allow it."""

    def repo(self, call: Call) -> TenantRepository[Any]:
        return self.repository(call.session, call.actor)

    async def read(self, state: Any, actor: Actor, id_: UUID) -> Any:
        """``GET`` by id (``state`` is ``app.state``): one statement on a pooled
        connection (:class:`~crm_chassis.reads.RecordReader`), or, for a resource that
        overrides :meth:`get` or whose schema shows more than columns, :meth:`get` in a
        read session. Either way a record the actor may not see is a 404."""
        if self.reader is None or type(self).get is not Crud.get:
            async with read_session(state) as session:
                return await self.get(Call(session, actor, state.settings), id_)
        record = await self.reader.one(read_engine_of(state), actor, id_)
        if record is None:
            raise self.repository.missing(id_)
        return record

    async def check_create(self, call: Call, data: Any) -> None:
        """Rules a creation must meet beyond its schema (a 4xx when it does not)."""

    async def check_patch(self, call: Call, entity: Any, model: Any, changed: list[str]) -> None:
        """Rules a change must meet beyond its schema; the entity is not changed yet."""

    async def before_delete(self, call: Call, entity: Any) -> None:
        """What goes with the entity (in the same transaction)."""

    def deleted_event(self, entity: Any) -> Any:
        return self.events.deleted(entity)

    async def create(self, call: Call, data: Any) -> Any:
        self.view.check_writable(call.actor, data.model_dump(exclude_unset=True))
        await self.check_create(call, data)
        model = self.repository.model
        entity = await self.repo(call).add(model(tenant_id=call.tenant_id, **self.columns(data)))
        await emit(call.session, self.events.created(entity))
        return entity

    async def get(self, call: Call, id_: UUID) -> Any:
        return await self.repo(call).require(id_)

    async def page(
        self, call: Call, params: PageParams, filters: Any = None
    ) -> tuple[list[Any], str | None]:
        repo = self.repo(call)
        return await repo.page(params, None if filters is None else repo.filtered(filters))

    async def patch(self, call: Call, id_: UUID, body: Any, if_match: str | None) -> Any:
        repo = self.repo(call)
        entity = await load_for_update(repo, id_, if_match)
        model, _ = patch_model(self.view, call.actor, entity, self.update, body)
        new = self.columns(model)
        changed = changed_columns(entity, new)
        await self.check_patch(call, entity, model, changed)
        if changed:
            set_columns(entity, new, changed)
            repo.check_holdable(entity)
            await call.session.flush()
            await emit(call.session, self.events.updated(entity, changed))
        return entity

    async def delete(self, call: Call, id_: UUID, if_match: str | None) -> None:
        repo = self.repo(call)
        entity = await load_for_update(repo, id_, if_match)
        await self.before_delete(call, entity)
        await emit(call.session, self.deleted_event(entity))
        await repo.delete(entity)
