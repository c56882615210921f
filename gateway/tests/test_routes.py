"""The route table."""

from __future__ import annotations

from crm_gateway.proxy.routes import GATEWAY_PREFIXES, ROUTE_TABLE, service_for


def test_each_resource_goes_to_its_service() -> None:
    assert service_for("/v1/accounts") == "contacts"
    assert service_for("/v1/contacts/123/timeline") == "contacts"
    assert service_for("/v1/deals/1") == "sales"
    assert service_for("/v1/campaigns") == "marketing"
    assert service_for("/v1/sla-policies/x") == "support"
    assert service_for("/v1/cubes/sales/query") == "analytics"


def test_unrouted_paths_have_no_service() -> None:
    for path in ("/v1/nope", "/v1/auth/token", "/v1/", "/accounts", "/v1/dealsx"):
        assert service_for(path) is None


def test_every_service_has_resources_and_none_is_the_gateways() -> None:
    assert set(ROUTE_TABLE) == {"contacts", "sales", "marketing", "support", "analytics"}
    prefixes = [p for ps in ROUTE_TABLE.values() for p in ps]
    assert len(prefixes) == len(set(prefixes))
    assert not GATEWAY_PREFIXES & set(prefixes)


def test_only_operations_a_service_declares_public_pass_without_a_token() -> None:
    from crm_gateway.proxy.routes import RouteTable

    table = RouteTable()
    table.learn(
        {
            "marketing": {
                "paths": {
                    "/v1/unsubscribe/{token}": {
                        "get": {"security": []},
                        "post": {"security": []},
                    },
                    "/v1/segments": {"get": {}, "post": {}},
                }
            },
            "sales": {"paths": {"/v1/web-forms/{key}/submissions": {"post": {"security": []}}}},
        }
    )

    assert table.is_public("GET", "/v1/unsubscribe/abc")
    assert table.is_public("POST", "/v1/web-forms/k1/submissions")
    assert not table.is_public("DELETE", "/v1/unsubscribe/abc")
    assert not table.is_public("GET", "/v1/segments")
    assert not table.is_public("GET", "/v1/web-forms/k1")
    assert not table.is_public("POST", "/v1/web-forms/k1/submissions/x")
