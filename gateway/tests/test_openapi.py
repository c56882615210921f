"""The merged OpenAPI document and the docs page."""

from __future__ import annotations

import re

import httpx
import pytest
from crm_gateway.main import create_app
from crm_gateway.openapi.merge import merge_documents
from crm_gateway.proxy.routes import RouteTable
from crm_gateway.settings import GatewaySettings
from crm_testing.service import assert_refs_resolve
from openapi_spec_validator import validate


async def test_merged_document_has_the_gateway_and_the_services_paths(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    paths = doc["paths"]
    assert "/v1/auth/token" in paths
    assert "/v1/tenants" in paths
    assert "/v1/contacts/echo" in paths  # from the upstream standing in for contacts
    assert "/v1/accounts/{account_id}" in paths
    assert "AccountOut" in doc["components"]["schemas"]
    assert not any("{target" in p for p in paths)  # the catch-all is not an API
    assert "/healthz" not in paths
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert doc["security"] == [{"bearerAuth": []}]
    assert paths["/v1/auth/token"]["post"]["security"] == []
    assert doc["x-unavailable-services"] == ["analytics", "marketing", "sales", "support"]
    assert_refs_resolve(doc)  # renamed schemas included


async def test_the_merged_document_is_valid_with_security_and_errors_everywhere(
    client: httpx.AsyncClient,
) -> None:
    doc = (await client.get("/openapi.json")).json()
    validate(doc)  # openapi-spec-validator: the document is a valid OpenAPI 3.1
    operations = [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 40
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        security = op.get("security", doc["security"])
        assert security in ([], [{"bearerAuth": []}]), where
        for status in ("404", "422", "429", "503"):
            assert status in op["responses"], (where, status)
        if security:
            assert {"401", "403"} <= set(op["responses"]), where
    assert doc["paths"]["/v1/auth/login"]["post"]["security"] == []


async def test_docs_page_works_without_the_internet(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text
    assert "cdn." not in response.text and "https://" not in response.text.split("<body>")[0]
    assets = re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', response.text)
    assert len(assets) >= 2
    for asset in assets:
        fetched = await client.get(asset)
        assert fetched.status_code == 200, asset
        assert len(fetched.content) > 500


def test_clashing_schema_names_are_renamed_with_their_refs() -> None:
    own = {"openapi": "3.1.0", "info": {"title": "gw"}, "paths": {}}
    ref = {"$ref": "#/components/schemas/Item"}
    a = {
        "paths": {"/v1/a": {"get": {"responses": {"200": {"content": {"j": {"schema": ref}}}}}}},
        "components": {"schemas": {"Item": {"type": "object", "title": "A"}}},
    }
    b = {
        "paths": {
            "/v1/b": {"get": {"responses": {"200": {"content": {"j": {"schema": ref}}}}}},
            "/healthz": {"get": {}},
        },
        "components": {"schemas": {"Item": {"type": "object", "title": "B"}}},
    }
    doc = merge_documents(own, {"sales": a, "support": b}, unavailable=["analytics"])
    schemas = doc["components"]["schemas"]
    assert schemas["Item"]["title"] == "A"
    assert schemas["support__Item"]["title"] == "B"
    get_b = doc["paths"]["/v1/b"]["get"]["responses"]["200"]["content"]["j"]["schema"]
    assert get_b == {"$ref": "#/components/schemas/support__Item"}
    assert "/healthz" not in doc["paths"]
    assert doc["x-unavailable-services"] == ["analytics"]
    assert "security" not in own  # the input is not modified
    assert doc["paths"]["/v1/b"]["get"]["responses"]["404"] == {
        "$ref": "#/components/responses/NotFound"
    }


SERVICES = {
    "contacts": "contacts_service.main",
    "sales": "sales_service.main",
    "marketing": "marketing_service.main",
    "support": "support_service.main",
    "analytics": "analytics_service.main",
}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_route_of_every_service_is_in_a_valid_merged_document(
    service: str, gateway_settings: GatewaySettings
) -> None:
    module = pytest.importorskip(SERVICES[service])
    upstream = module.create_app().openapi()
    own = create_app(gateway_settings).openapi()
    doc = merge_documents(own, {service: upstream})
    validate(doc)
    table = RouteTable()
    table.learn({service: upstream})
    for path in upstream["paths"]:
        if not path.startswith("/v1/") or path.startswith("/v1/admin/"):
            continue
        assert path in doc["paths"], path
        assert table.service_for(path.replace("{", "").replace("}", "")) == service, path
        for method, op in doc["paths"][path].items():
            if method in {"get", "post", "put", "patch", "delete"}:
                public = op.get("security") == []  # no token, so no 401 from the gateway
                expected = {"404", "429"} if public else {"401", "404", "429"}
                assert expected <= set(op["responses"]), (method, path)
                assert public == table.is_public(method.upper(), path), (method, path)


def test_a_wrapper_of_a_renamed_schema_is_renamed_with_it() -> None:
    def doc(queue: dict) -> dict:
        return {
            "paths": {},
            "components": {
                "schemas": {
                    "QueueRead": queue,
                    "Page_QueueRead_": {
                        "properties": {
                            "data": {"items": {"$ref": "#/components/schemas/QueueRead"}}
                        }
                    },
                }
            },
        }

    sales = doc({"properties": {"name": {"type": "string"}}})
    support = doc({"properties": {"skills": {"type": "array"}}})

    merged = merge_documents({"paths": {}}, {"sales": sales, "support": support})

    schemas = merged["components"]["schemas"]
    assert schemas["support__QueueRead"] == support["components"]["schemas"]["QueueRead"]
    wrapper = schemas["support__Page_QueueRead_"]["properties"]["data"]["items"]["$ref"]
    assert wrapper == "#/components/schemas/support__QueueRead"
    assert schemas["Page_QueueRead_"] == sales["components"]["schemas"]["Page_QueueRead_"]
