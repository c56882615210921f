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
