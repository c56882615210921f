"""Idempotency-Key on a real database: a key in use by a live request is 409, its
response is replayed afterwards, and a 5xx before the commit leaves the key free."""

import asyncio
from uuid import uuid4

import httpx
import pytest
from crm_chassis.db import SessionDep
from crm_chassis.errors import install_problem_handlers
from crm_chassis.idempotency import IdempotencyMiddleware
from crm_chassis.settings import ServiceSettings
from crm_testing.service import bearer, eventually
from fastapi import FastAPI
from sqlalchemy import func, select

from .conftest import Widget


def make_app(engine, sessions) -> tuple[FastAPI, asyncio.Event, list[int]]:
    app = FastAPI()
    app.state.settings = ServiceSettings()
    app.state.engine, app.state.sessions = engine, sessions
    install_problem_handlers(app)
    release, failures = asyncio.Event(), [0]
    app.state.entered = asyncio.Event()  # set once a waiting request holds its key

    @app.post("/widgets", status_code=201)
    async def create(body: dict, session: SessionDep) -> dict:
        session.add(Widget(tenant_id=uuid4(), name=body["name"]))
        await session.flush()
        if body.get("wait"):
            app.state.entered.set()
            await release.wait()
        if body.get("fail_once") and not failures[0]:
            failures[0] += 1
            raise RuntimeError("before the commit")
        return {"name": body["name"]}

    app.add_middleware(IdempotencyMiddleware)
    return app, release, failures


@pytest.fixture
async def widgets(chassis_engine, sessions):
    async def count() -> int:
        async with sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(Widget)))

    return count


def client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = bearer(app.state.settings, uuid4())
    return httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers)


async def test_a_key_held_by_a_live_request_is_409_then_replays(chassis_engine, sessions, widgets):
    app, release, _ = make_app(chassis_engine, sessions)
    key = {"idempotency-key": "live"}
    async with client(app) as http:
        first = asyncio.create_task(
            http.post("/widgets", json={"name": "a", "wait": True}, headers=key)
        )
        # Only once the first holds the key may the second ask: otherwise the second
        # would claim it and wait for a release that never comes.
        await asyncio.wait_for(app.state.entered.wait(), timeout=30)

        async def in_progress() -> httpx.Response:
            response = await http.post("/widgets", json={"name": "a", "wait": True}, headers=key)
            assert response.status_code == 409
            return response

        busy = await eventually(in_progress, within=10)
        assert "in progress" in busy.json()["detail"]
        release.set()
        assert (await first).status_code == 201
        again = await http.post("/widgets", json={"name": "a", "wait": True}, headers=key)
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert await widgets() == 1


async def test_a_5xx_before_the_commit_leaves_the_key_free(chassis_engine, sessions, widgets):
    app, _, failures = make_app(chassis_engine, sessions)
    key = {"idempotency-key": "fails"}
    async with client(app) as http:
        failed = await http.post("/widgets", json={"name": "b", "fail_once": True}, headers=key)
        assert failed.status_code == 500 and failures == [1]
        assert await widgets() == 0
        retried = await http.post("/widgets", json={"name": "b", "fail_once": True}, headers=key)
        assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    assert await widgets() == 1
