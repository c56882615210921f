"""Gateway test fixtures: a real PostgreSQL database, a real upstream over HTTP, and the
gateway itself under uvicorn (so streaming is real, not buffered by a test transport)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from crm_gateway.limits.server import EdgeHttpToolsProtocol
from crm_gateway.main import create_app
from crm_gateway.settings import GatewaySettings
from crm_local.mail_sink import MailSink
from crm_testing import free_port
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

GATEWAY_DIR = Path(__file__).resolve().parents[1]
BOOTSTRAP_KEY = "crm_test_bootstrap_key_0123456789"
READ_TIMEOUT = 1.0


@contextlib.asynccontextmanager
async def serve(app: Any, port: int, *, http: Any = "auto") -> AsyncIterator[str]:
    """Run ``app`` under uvicorn on ``127.0.0.1:port`` in this event loop."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_config=None,
        access_log=False,
        http=http,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            raise RuntimeError(f"uvicorn did not start on port {port}")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Upstream:
    """A stand-in for contacts-service; records what reaches it."""

    url: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)
    release_stream: asyncio.Event = field(default_factory=asyncio.Event)
    upload_started: asyncio.Event = field(default_factory=asyncio.Event)


class AccountOut(BaseModel):
    id: str
    name: str


def upstream_app(state: Upstream) -> FastAPI:
    """The tiny service behind the gateway in these tests."""
    app = FastAPI(title="tiny-contacts")

    @app.get("/v1/contacts/echo")
    @app.post("/v1/contacts/echo")
    async def echo(request: Request) -> dict[str, Any]:
        body = await request.body()
        record = {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "headers": dict(request.headers),
            "body": body.decode(errors="replace"),
        }
        state.seen.append(record)
        return record

    @app.post("/v1/contacts/upload")
    async def upload(request: Request) -> dict[str, Any]:
        digest, size = hashlib.sha256(), 0
        async for chunk in request.stream():
            if chunk:
                state.upload_started.set()
            digest.update(chunk)
            size += len(chunk)
        return {"sha256": digest.hexdigest(), "size": size, "headers": dict(request.headers)}

    @app.get("/v1/contacts/stream")
    async def stream() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            yield b"first\n"
            await state.release_stream.wait()
            yield b"second\n"

        return StreamingResponse(parts(), media_type="text/plain")

    @app.get("/v1/contacts/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(READ_TIMEOUT + 1.0)
        return {"late": "yes"}

    @app.get("/v1/contacts/missing")
    async def missing() -> JSONResponse:
        return JSONResponse(
            {
                "type": "https://crm.example/problems/not-found",
                "title": "Not found",
                "status": 404,
                "detail": "No contact 42",
            },
            status_code=404,
            media_type="application/problem+json",
        )

    @app.get("/v1/contacts/cookies")
    async def cookies() -> Response:
        response = Response(b"ok", media_type="text/plain")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    @app.get("/v1/widgets/{widget_id}")  # a resource no route table names
    async def get_widget(widget_id: str) -> dict[str, str]:
        return {"id": widget_id}

    @app.get("/v1/accounts/{account_id}")
    async def get_account(account_id: str) -> AccountOut:
        return AccountOut(id=account_id, name="Acme")

    return app


@pytest_asyncio.fixture(scope="session")
async def gateway_database(service_database: Any) -> str:
    """URL of the gateway's migrated test database."""
    return str(await service_database.acreate("gateway"))


@pytest_asyncio.fixture(scope="session")
async def upstream() -> AsyncIterator[Upstream]:
    state = Upstream()
    async with serve(upstream_app(state), free_port()) as url:
        state.url = url
        yield state


@pytest.fixture(scope="session")
def closed_port_url() -> str:
    """A URL on which nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def gateway_settings(
    gateway_database: str,
    nats_url: str,
    upstream: Upstream,
    closed_port_url: str,
    smtp_server: MailSink,
) -> GatewaySettings:
    return GatewaySettings(
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        database_url=gateway_database,
        nats_url=nats_url,
        contacts_url=upstream.url,
        sales_url=closed_port_url,
        marketing_url=closed_port_url,
        support_url=closed_port_url,
        analytics_url=closed_port_url,
        upstream_read_timeout=READ_TIMEOUT,
        openapi_cache_seconds=0.0,
        bootstrap_api_key=BOOTSTRAP_KEY,
    )


@pytest_asyncio.fixture(scope="session")
async def gateway_url(gateway_settings: GatewaySettings) -> AsyncIterator[str]:
    """Base URL of the gateway, served by uvicorn with its full lifespan."""
    # With the protocol `make run` serves the gateway with: limits while parsing.
    async with serve(create_app(gateway_settings), free_port(), http=EdgeHttpToolsProtocol) as url:
        yield url


@pytest_asyncio.fixture
async def client(gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=10.0) as http:
        yield http


@pytest_asyncio.fixture(scope="session")
async def admin_token(gateway_url: str) -> str:
    """A token of the bootstrap admin key (default tenant)."""
    async with httpx.AsyncClient(base_url=gateway_url) as http:
        response = await http.post("/v1/auth/token", json={"api_key": BOOTSTRAP_KEY})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def auth(admin_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token}"}


@pytest.fixture(scope="session")
def fetch_one(gateway_database: str) -> Any:
    """``await fetch_one(sql, **params)``: one row of the gateway's database, as a dict."""

    async def fetch(sql: str, **params: Any) -> dict[str, Any]:
        engine = create_async_engine(gateway_database)
        try:
            async with engine.connect() as conn:
                return dict((await conn.execute(text(sql), params)).mappings().one())
        finally:
            await engine.dispose()

    return fetch


@pytest.fixture(scope="session")
def serve_app() -> Any:
    """``async with serve_app(app, port) as url``: ``app`` under uvicorn."""
    return serve
