"""``/openapi.json``: the merged document (``/docs`` renders it with Swagger UI)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from crm_gateway.events import asyncapi
from crm_gateway.openapi.service import OpenApiAggregator

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
async def openapi_document(request: Request) -> JSONResponse:
    """The whole platform's API: the gateway's routes and every reachable service's."""
    aggregator: OpenApiAggregator = request.app.state.openapi
    return JSONResponse(await aggregator.document(request.app.openapi()))


@router.get("/asyncapi.json")
async def asyncapi_document() -> JSONResponse:
    """The event catalogue (AsyncAPI 3), generated from proto."""
    return JSONResponse(asyncapi.document())


@router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> JSONResponse:
    """The public keys the gateway signs tokens with (RFC 7517), for the services and any
    other verifier; a rotated key stays here while tokens it signed can live."""
    return JSONResponse(request.app.state.signer.jwks, headers={"Cache-Control": "max-age=60"})
