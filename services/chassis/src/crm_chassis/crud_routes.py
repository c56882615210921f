"""The five routes of a resource, made from its use cases.

``crud_router(PIPELINES, scope="sales")`` answers ``POST``/``GET`` on the collection and
``GET``/``PATCH``/``DELETE`` on ``{id}``, with the chassis' semantics: 201 with
``Location`` and ``ETag``, keyset pages, ``If-Match``, JSON Merge Patch, visibility and
field allow-lists, one event per change. The use cases are a
:class:`~crm_chassis.crud.Crud`, or any :class:`Resource` of a service's own (contacts
derive columns and check custom fields). A resource with more to say adds its routes
beside these, from the same helpers. (No ``from __future__ import annotations`` here: FastAPI
reads the route signatures built below as real objects.)
"""

from typing import Annotated, Any, Protocol
from uuid import UUID

from fastapi import APIRouter, Body, Query, Request, Response, status
from pydantic import BaseModel

from crm_chassis.auth import Actor, ActorDep, require_scope
from crm_chassis.crud import Call, CallDep, View
from crm_chassis.http import IfMatchDep
from crm_chassis.openapi import MERGE_PATCH
from crm_chassis.pagination import Page, PageParams, PageParamsDep


class Resource(Protocol):
    """The use cases behind the five routes (``Crud`` is one)."""

    view: View[Any]
    write: type[BaseModel]

    async def create(self, call: Call, data: Any) -> Any: ...
    async def get(self, call: Call, id_: UUID) -> Any: ...
    async def read(self, state: Any, actor: Actor, id_: UUID) -> Any: ...
    async def page(
        self, call: Call, params: PageParams, filters: Any = None
    ) -> tuple[list[Any], str | None]: ...
    async def patch(self, call: Call, id_: UUID, body: Any, if_match: str | None) -> Any: ...
    async def delete(self, call: Call, id_: UUID, if_match: str | None) -> None: ...


def crud_router(
    crud: Resource,
    *,
    scope: str,
    tags: list[Any] | None = None,
    filters: type[BaseModel] | None = None,
) -> APIRouter:
    """Routes of ``crud``'s resource under ``crud.view.path``, guarded by
    ``<scope>:read`` and ``<scope>:write``; ``filters``, a model of query parameters the
    list takes (passed to ``crud.page``)."""
    view, write, read = crud.view, crud.write, crud.view.schema
    name = view.name
    assert view.path, "the resource's View needs its path"
    router = APIRouter(prefix=view.path, tags=list(tags or [f"{name}s"]))
    reads, writes = [require_scope(f"{scope}:read")], [require_scope(f"{scope}:write")]

    async def create(body: write, call: CallDep) -> Response:  # type: ignore[valid-type]
        return view.created(call.actor, await crud.create(call, body))

    if filters is None:

        async def list_(call: CallDep, page: PageParamsDep) -> Response:
            return view.page(call.actor, *await crud.page(call, page))

    else:

        async def list_(  # type: ignore[misc]
            call: CallDep,
            page: PageParamsDep,
            query: Annotated[filters, Query()],  # type: ignore[valid-type]
        ) -> Response:
            return view.page(call.actor, *await crud.page(call, page, query))

    async def get(id: UUID, request: Request, actor: ActorDep) -> Response:
        # No session of its own: the hot read path is one statement (Crud.read).
        return view.one(actor, await crud.read(request.app.state, actor, id))

    async def patch(
        id: UUID,
        call: CallDep,
        if_match: IfMatchDep = None,
        body: Annotated[Any, Body()] = None,
    ) -> Response:
        return view.one(call.actor, await crud.patch(call, id, body, if_match))

    async def delete(id: UUID, call: CallDep, if_match: IfMatchDep = None) -> None:
        await crud.delete(call, id, if_match)

    add = router.add_api_route
    add("", create, methods=["POST"], status_code=201, response_model=read,
        dependencies=writes, name=f"create_{name}", summary=f"Create a {name}")  # fmt: skip
    add("", list_, methods=["GET"], response_model=Page[read],
        dependencies=reads, name=f"list_{name}s", summary=f"List {name}s")  # fmt: skip
    add("/{id:uuid}", get, methods=["GET"], response_model=read,
        dependencies=reads, name=f"get_{name}", summary=f"Get a {name}")  # fmt: skip
    add("/{id:uuid}", patch, methods=["PATCH"], response_model=read, openapi_extra=MERGE_PATCH,
        dependencies=writes, name=f"patch_{name}", summary=f"Change a {name}")  # fmt: skip
    add("/{id:uuid}", delete, methods=["DELETE"], status_code=status.HTTP_204_NO_CONTENT,
        dependencies=writes, name=f"delete_{name}", summary=f"Delete a {name}")  # fmt: skip
    return router
