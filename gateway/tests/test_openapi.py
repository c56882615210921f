"""The merged OpenAPI document and the docs page."""

from __future__ import annotations

import httpx
from crm_gateway.openapi.merge import merge_documents
from crm_testing.service import assert_refs_resolve


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


async def test_docs_page_renders_the_merged_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text


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
