"""Drive a service app in-process in tests: lifespan, HTTP client and tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from uuid import UUID, uuid4

import httpx
from crm_chassis.auth import Actor, Visibility, issue_token
from crm_chassis.settings import SharedSettings
from fastapi import FastAPI

T = TypeVar("T")

#: The user of :func:`token` when a test names none: one fixed id, so a test can say
#: "the caller" (``author_id == str(TEST_USER)``).
TEST_USER = UUID("00000000-0000-7000-8000-000000000001")


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """``app`` with its lifespan entered: database, NATS, relay and consumers running."""
    async with app.router.lifespan_context(app):
        yield app


def client(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    """An HTTP client speaking to ``app`` in-process (no network, same event loop)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )


def token(
    settings: SharedSettings,
    tenant_id: UUID | None = None,
    *,
    user_id: UUID = TEST_USER,
    roles: Iterable[str] = (),
    scopes: Iterable[str] = ("*",),
    team_ids: Iterable[UUID] = (),
    visibility: Visibility = "all",
    fields: dict[str, Iterable[str]] | None = None,
    ttl_seconds: int = 3600,
) -> str:
    """A token the service accepts, for ``tenant_id`` (a new tenant when omitted)."""
    actor = Actor(
        tenant_id=tenant_id or uuid4(),
        user_id=user_id,
        roles=frozenset(roles),
        scopes=frozenset(scopes),
        team_ids=frozenset(team_ids),
        visibility=visibility,
        fields={k: frozenset(v) for k, v in (fields or {}).items()},
    )
    return issue_token(actor, settings, ttl_seconds=ttl_seconds)


def bearer(settings: SharedSettings, tenant_id: UUID | None = None, **kw: object) -> dict[str, str]:
    """``Authorization`` header for a token of ``tenant_id``."""
    return {"Authorization": f"Bearer {token(settings, tenant_id, **kw)}"}  # type: ignore[arg-type]


async def eventually(
    check: Callable[[], Awaitable[T]], *, within: float = 10.0, interval: float = 0.05
) -> T:
    """Poll ``check`` until it returns without AssertionError, or fail at the deadline."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            return await check()
        except AssertionError:
            if asyncio.get_running_loop().time() >= deadline:
                raise
        await asyncio.sleep(interval)


async def assert_boots_ready(app: FastAPI) -> None:
    """``app`` starts and passes :func:`assert_ready`."""
    async with running(app):
        await assert_ready(app)


async def assert_ready(app: FastAPI) -> None:
    """The running ``app`` is alive and ready (database and NATS), answers unknown routes
    with a 404 problem and serves an OpenAPI document whose references resolve: what
    every service must do before it does anything else."""
    async with client(app) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}

        async def ready() -> None:  # NATS connects in the background
            response = await http.get("/readyz")
            assert response.json()["checks"] == {"database": True, "nats": True}

        await eventually(ready)
        missing = await http.get("/v1/anything")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert_refs_resolve((await http.get("/openapi.json")).json())


def assert_refs_resolve(document: dict[str, Any]) -> None:
    """Every ``$ref`` of an OpenAPI document points at something inside it (a code
    generator fails on the first dangling one)."""
    dangling = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not _resolves(document, ref):
                dangling.append(f"{path}: {ref}")
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}/{i}")

    walk(document, "#")
    assert not dangling, "dangling $ref in the OpenAPI document:\n" + "\n".join(dangling[:20])


def _resolves(document: dict[str, Any], ref: str) -> bool:
    if not ref.startswith("#/"):
        return False
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True
