"""The internal HTTP client against a real upstream: uvicorn serving a small app on loopback.

A caller app (the chassis' request middleware and problem handlers, one route calling the
upstream through ``InternalCallsDep``) is driven in-process; the upstream runs in a thread
on a free port, so every call crosses a real socket.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from crm_chassis.errors import (
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
    install_problem_handlers,
)
from crm_chassis.internal_http import (
    InternalCallsDep,
    InternalHttp,
    InternalHttpSettings,
    close_internal_http,
)
from crm_chassis.middleware import RequestContextMiddleware
from fastapi import FastAPI, Request

TOKEN = "Bearer the-callers-token"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def upstream_app(calls: Counter[str]) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/echo")
    async def echo(request: Request) -> dict[str, Any]:
        return {
            "authorization": request.headers.get("authorization"),
            "traceparent": request.headers.get("traceparent"),
            "request_id": request.headers.get("x-request-id"),
        }

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> None:
        raise NotFound(f"No thing {thing_id}")

    @app.post("/things")
    async def create_thing() -> None:
        raise ValidationFailed("Bad thing", errors=[{"field": "name", "message": "required"}])

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(10.0)  # far past the caller's read timeout
        return {"late": "yes"}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("upstream bug")

    @app.api_route("/flaky", methods=["GET", "POST"])
    async def flaky(request: Request) -> Any:
        calls[request.method] += 1
        if calls[request.method] == 1:
            raise ServiceUnavailable("warming up")
        return {"attempts": calls[request.method]}

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[str, Counter[str]]]:
    calls: Counter[str] = Counter()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        upstream_app(calls), log_level="warning", lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "upstream did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", calls
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
async def caller(upstream):
    """A client of the calling service, whose routes pass requests on to the upstream."""
    url, calls = upstream
    calls.clear()
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware)
    install_problem_handlers(app)
    app.state.internal_http = InternalHttp(
        InternalHttpSettings(
            service_urls={"things": url, "nowhere": f"http://127.0.0.1:{free_port()}"},
            read_timeout=1.0,
            retry_pause=0.01,
        )
    )

    @app.get("/via/{service}/{path:path}")
    async def via_get(service: str, path: str, calls: InternalCallsDep) -> Any:
        return await calls.get(service, path)

    @app.post("/via/{service}/{path:path}")
    async def via_post(service: str, path: str, calls: InternalCallsDep) -> Any:
        return (await calls.request(service, "POST", path, json={})).json()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://caller") as client:
        yield client
    await close_internal_http(app)


async def test_the_callers_token_trace_and_request_id_are_forwarded(caller):
    response = await caller.get(
        "/via/things/echo",
        headers={"Authorization": TOKEN, "traceparent": TRACEPARENT, "X-Request-Id": "req-42"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "authorization": TOKEN,
        "traceparent": TRACEPARENT,
        "request_id": "req-42",
    }


async def test_an_upstream_404_is_our_not_found_with_its_detail(caller):
    response = await caller.get("/via/things/things/t1")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "No thing t1"
    assert response.json()["type"].endswith("/not-found")


async def test_an_upstream_4xx_is_passed_on_with_its_detail_and_errors(caller):
    response = await caller.post("/via/things/things")
    assert response.status_code == 422
    assert response.json()["detail"] == "Bad thing"
    assert response.json()["errors"] == [{"field": "name", "message": "required"}]


async def test_an_upstream_that_does_not_answer_in_time_is_a_503_naming_it(caller):
    response = await caller.get("/via/things/slow")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "things service did not answer in time" in response.json()["detail"]
    assert "Retry-After" in response.headers


async def test_a_refused_connection_is_a_503_naming_the_upstream(caller):
    response = await caller.get("/via/nowhere/anything")
    assert response.status_code == 503
    assert "nowhere service could not be reached" in response.json()["detail"]


async def test_an_upstream_500_is_a_502_naming_it(caller):
    response = await caller.get("/via/things/boom")
    assert response.status_code == 502
    assert "things service" in response.json()["detail"]


async def test_a_get_is_retried_after_a_503_but_a_post_is_not(caller, upstream):
    _, calls = upstream
    got = await caller.get("/via/things/flaky")
    assert got.status_code == 200 and got.json() == {"attempts": 2}
    posted = await caller.post("/via/things/flaky")
    assert posted.status_code == 503 and calls["POST"] == 1


async def test_an_unconfigured_service_is_a_503_naming_it(caller):
    response = await caller.get("/via/elsewhere/x")
    assert response.status_code == 503
    assert "elsewhere service is not configured" in response.json()["detail"]


def test_service_urls_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CRM_SERVICE_URLS", '{"sales": "http://sales:8002"}')
    monkeypatch.setenv("CRM_INTERNAL_HTTP_READ_TIMEOUT", "2.5")
    settings = InternalHttpSettings()
    assert settings.service_urls == {"sales": "http://sales:8002"}
    assert settings.read_timeout == 2.5
