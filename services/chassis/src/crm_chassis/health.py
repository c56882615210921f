"""``/healthz`` (alive), ``/readyz`` (database and NATS reachable) and ``/metrics``."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from crm_chassis.metrics import metrics_endpoint

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    checks = {"database": await _database_ok(request), "nats": _nats_ok(request)}
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


async def _database_ok(request: Request) -> bool:
    engine = getattr(request.app.state, "engine", None)
    if engine is None:
        return True
    try:
        async with asyncio.timeout(2):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def _nats_ok(request: Request) -> bool:
    bus = getattr(request.app.state, "bus", None)
    return bus is None or bus.connected


router.add_api_route("/metrics", metrics_endpoint, methods=["GET"])
