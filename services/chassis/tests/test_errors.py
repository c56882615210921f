"""Every error a client sees is RFC 9457 problem+json, with no stack trace."""

import httpx
import pytest
from crm_chassis.errors import Conflict, install_problem_handlers
from crm_chassis.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    size: int


def make_app(*inner_middleware) -> FastAPI:
    app = FastAPI()
    for middleware in inner_middleware:
        app.add_middleware(middleware)
    install_problem_handlers(app)

    @app.post("/things")
    async def create(thing: Thing) -> Thing:
        return thing

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("It is taken", errors=[{"field": "name", "message": "taken"}])

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    app.add_middleware(BodySizeLimitMiddleware, max_bytes=1000)
    app.add_middleware(RequestContextMiddleware)
    return app


@pytest.fixture
async def http():
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    return body


async def test_validation_errors_name_each_field(http):
    body = assert_problem(await http.post("/things", json={"name": 1, "size": "big", "x": 0}), 422)
    assert {e["field"] for e in body["errors"]} == {"name", "size", "x"}
    assert {"field": "x", "message": "unknown field"} in body["errors"]


async def test_malformed_json_is_400(http):
    response = await http.post(
        "/things", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert_problem(response, 400)


async def test_unknown_route_and_method_are_problems(http):
    assert_problem(await http.get("/nowhere"), 404)
    assert_problem(await http.delete("/things"), 405)


async def test_domain_errors_keep_their_status_and_field_errors(http):
    body = assert_problem(await http.get("/conflict"), 409)
    assert body["detail"] == "It is taken"
    assert body["errors"] == [{"field": "name", "message": "taken"}]


async def test_an_unexpected_error_is_a_bare_500_without_internals(http):
    response = await http.get("/boom")
    body = assert_problem(response, 500)
    assert "secret" not in response.text and "Traceback" not in response.text
    assert body["instance"] == "/boom"


async def test_oversized_bodies_are_413_by_header_or_by_stream(http):
    assert_problem(await http.post("/things", json={"name": "x" * 2000, "size": 1}), 413)

    async def chunks():
        for _ in range(10):
            yield b"x" * 500

    assert_problem(
        await http.post("/things", content=chunks(), headers={"content-type": "application/json"}),
        413,
    )


async def test_every_response_carries_a_request_id(http):
    response = await http.get("/nowhere", headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert len((await http.get("/nowhere")).headers["x-request-id"]) == 16


async def test_a_streamed_oversized_body_under_an_idempotency_key_is_413_not_500():
    from crm_chassis.idempotency import IdempotencyMiddleware
    from crm_chassis.settings import SharedSettings
    from crm_testing.service import token

    app = make_app(IdempotencyMiddleware)  # inside the body limit, as in every service
    app.state.settings = SharedSettings()
    headers = {
        "authorization": f"Bearer {token(app.state.settings)}",
        "idempotency-key": "k",
        "content-type": "application/json",
    }

    async def chunks():
        for _ in range(10):
            yield b"x" * 500

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert_problem(await client.post("/things", content=chunks(), headers=headers), 413)
