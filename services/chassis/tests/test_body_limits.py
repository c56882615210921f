"""The body limit is per route: a route declares a larger one (an upload, a batch) with
``body_limit``, in bytes or as a settings field; every other route keeps the default."""

from types import SimpleNamespace

import httpx
import pytest
from crm_chassis.errors import install_problem_handlers
from crm_chassis.middleware import BodySizeLimitMiddleware, body_limit, declared_body_limits
from fastapi import FastAPI, Request

DOC = {"requestBody": {"content": {"application/octet-stream": {}}}}


def make_app() -> FastAPI:
    app = FastAPI()
    app.state.settings = SimpleNamespace(upload_max_bytes=400)
    install_problem_handlers(app)

    async def count(request: Request) -> dict[str, int]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return {"size": size}

    app.add_api_route("/v1/things", count, methods=["POST"])
    app.add_api_route(
        "/v1/contacts/{id}/attachments", count, methods=["POST"], openapi_extra=body_limit(1000)
    )
    app.add_api_route(
        "/v1/uploads",
        count,
        methods=["POST"],
        openapi_extra={**DOC, **body_limit("upload_max_bytes", slack=100)},
    )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=100)
    return app


@pytest.fixture
async def http():
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


def chunks(total: int, size: int = 50):
    async def gen():
        for start in range(0, total, size):
            yield b"x" * min(size, total - start)

    return gen()


async def test_a_matching_path_takes_its_own_larger_limit(http):
    ok = await http.post("/v1/contacts/abc/attachments", content=b"x" * 900)
    assert ok.status_code == 200 and ok.json() == {"size": 900}
    too_big = await http.post("/v1/contacts/abc/attachments", content=b"x" * 1001)
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"
    assert "1000 bytes" in too_big.json()["detail"]


async def test_other_paths_keep_the_default_limit(http):
    assert (await http.post("/v1/things", content=b"x" * 100)).status_code == 200
    rejected = await http.post("/v1/things", content=b"x" * 101)
    assert rejected.status_code == 413 and "100 bytes" in rejected.json()["detail"]
    # the route's path, not a prefix of it: a deeper path has no route of its own
    deeper = await http.post("/v1/contacts/abc/attachments/extra", content=b"x" * 200)
    assert deeper.status_code == 413


async def test_a_limit_named_by_a_setting_is_that_setting_plus_its_slack(http):
    assert (await http.post("/v1/uploads", content=b"x" * 500)).status_code == 200
    rejected = await http.post("/v1/uploads", content=b"x" * 501)
    assert rejected.status_code == 413 and "500 bytes" in rejected.json()["detail"]


def test_the_openapi_document_states_each_declared_limit():
    app = make_app()
    declared_body_limits(app.router.routes, app.state.settings)
    paths = app.openapi()["paths"]
    assert paths["/v1/contacts/{id}/attachments"]["post"]["x-body-limit"] == 1000
    upload = paths["/v1/uploads"]["post"]
    assert upload["x-body-limit"] == 500
    assert "application/octet-stream" in upload["requestBody"]["content"]
    assert "x-body-limit" not in paths["/v1/things"]["post"]


async def test_a_streamed_body_without_length_is_cut_at_the_paths_limit(http):
    ok = await http.post("/v1/contacts/abc/attachments", content=chunks(950))
    assert ok.status_code == 200 and ok.json() == {"size": 950}
    cut = await http.post("/v1/contacts/abc/attachments", content=chunks(1200))
    assert cut.status_code == 413
    assert cut.json()["type"].endswith("/payload-too-large")


async def test_an_oversized_body_gets_its_413_over_a_real_socket_not_a_reset():
    """The rejected body is read before answering: closing a socket with unread data
    resets it, and a client (or the gateway) would see a dropped connection, not the 413."""
    import asyncio

    import uvicorn
    from crm_local.ports import free_port
    from crm_testing.service import eventually

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(make_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    try:

        async def started():
            assert server.started

        await eventually(started)
        for declared in (True, False):  # by Content-Length, and as chunks stream in
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            body = b"x" * 20_000_000
            if declared:
                head = f"POST /v1/things HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n"
                writer.write(head.encode() + b"\r\n" + body)
            else:
                head = "POST /v1/things HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                writer.write(head.encode() + b"\r\n")
                for start in range(0, len(body), 65536):
                    part = body[start : start + 65536]
                    writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                writer.write(b"0\r\n\r\n")
            await writer.drain()
            status_line = await reader.readline()
            writer.close()
            assert status_line.startswith(b"HTTP/1.1 413"), (declared, status_line)
    finally:
        server.should_exit = True
        await serving
