"""The body limit is per path: an upload route may take more than the JSON API."""

import httpx
import pytest
from crm_chassis.errors import install_problem_handlers
from crm_chassis.middleware import BodySizeLimitMiddleware
from fastapi import FastAPI, Request


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    async def count(request: Request) -> dict[str, int]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return {"size": size}

    app.add_api_route("/v1/things", count, methods=["POST"])
    app.add_api_route("/v1/contacts/{id}/attachments", count, methods=["POST"])
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=100,
        overrides={r"/v1/contacts/[^/]+/attachments": 1000},
    )
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
    # the pattern matches the whole path, not a prefix of it
    deeper = await http.post("/v1/contacts/abc/attachments/extra", content=b"x" * 200)
    assert deeper.status_code == 413


async def test_a_streamed_body_without_length_is_cut_at_the_paths_limit(http):
    ok = await http.post("/v1/contacts/abc/attachments", content=chunks(950))
    assert ok.status_code == 200 and ok.json() == {"size": 950}
    cut = await http.post("/v1/contacts/abc/attachments", content=chunks(1200))
    assert cut.status_code == 413
    assert cut.json()["type"].endswith("/payload-too-large")
