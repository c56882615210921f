"""The five routes of a plain resource, made from its :class:`~crm_chassis.crud.Crud`.

``crud_router(PIPELINES, scope="sales")`` answers ``POST``/``GET`` on the collection and
``GET``/``PATCH``/``DELETE`` on ``{id}``, with the chassis' semantics: 201 with
``Location`` and ``ETag``, keyset pages, ``If-Match``, JSON Merge Patch, visibility and
field allow-lists, one event per change. A resource with more to say writes its routes
by hand from the same helpers. (No ``from __future__ import annotations`` here: FastAPI
reads the route signatures built below as real objects.)
"""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Response, status

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep, Crud
from crm_chassis.http import IfMatchDep
from crm_chassis.openapi import MERGE_PATCH
from crm_chassis.pagination import Page, PageParamsDep


def crud_router(crud: Crud[Any], *, scope: str, tags: list[Any] | None = None) -> APIRouter:
    """Routes of ``crud``'s resource under ``crud.view.path``, guarded by
    ``<scope>:read`` and ``<scope>:write``."""
    view, write, read = crud.view, crud.write, crud.view.schema
    name = view.name
    assert view.path, "the resource's View needs its path"
    router = APIRouter(prefix=view.path, tags=list(tags or [f"{name}s"]))
    reads, writes = [require_scope(f"{scope}:read")], [require_scope(f"{scope}:write")]

    async def create(body: write, call: CallDep) -> Response:  # type: ignore[valid-type]
        return view.created(call.actor, await crud.create(call, body))

    async def list_(call: CallDep, page: PageParamsDep) -> Response:
        return view.page(call.actor, *await crud.page(call, page))

    async def get(id: UUID, call: CallDep) -> Response:
        return view.one(call.actor, await crud.get(call, id))

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
