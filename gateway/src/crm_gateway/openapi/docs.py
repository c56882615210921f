"""``/docs`` without the internet: Swagger UI's assets are served by the gateway itself
(from the ``swagger-ui-bundle-v2`` package), not loaded from a CDN, so a self-hosted
install behind a firewall shows the page."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.routing import Route
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs/assets"
router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="CRM platform API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
    )


def serve_docs(app: FastAPI) -> None:
    """Replace FastAPI's CDN-backed ``/docs`` with this one and mount the assets."""
    app.router.routes[:] = [
        r for r in app.router.routes if not (type(r) is Route and r.path == app.docs_url)
    ]
    app.include_router(router)
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")
