"""The route table learns the services' resources from their OpenAPI documents."""

from __future__ import annotations

from crm_gateway.proxy.routes import RouteTable


def doc(*paths: str) -> dict[str, object]:
    return {"paths": {p: {} for p in paths}}


def test_a_new_resource_of_a_service_routes_to_it_once_learned() -> None:
    table = RouteTable({"sales": ("deals",)})
    assert table.service_for("/v1/forecast-rules/1") is None
    table.learn({"sales": doc("/v1/deals", "/v1/forecast-rules/{id}", "/healthz")})
    assert table.service_for("/v1/forecast-rules/1") == "sales"
    assert table.service_for("/v1/deals") == "sales"


def test_known_prefixes_stay_and_shared_or_gateway_ones_are_not_learned() -> None:
    table = RouteTable({"contacts": ("contacts",)})
    table.learn(
        {
            "sales": doc("/v1/contacts/x", "/v1/admin/jobs", "/v1/shared", "/v1/auth/x"),
            "support": doc("/v1/shared", "/v1/admin/jobs"),
        }
    )
    assert table.service_for("/v1/contacts/y") == "contacts"
    assert table.service_for("/v1/contacts/x") == "sales"  # its own path, by template
    assert table.service_for("/v1/shared") is None
    assert table.service_for("/v1/admin/jobs") is None
    assert table.service_for("/v1/auth/x") is None


def test_a_resource_gone_from_the_documents_is_forgotten() -> None:
    table = RouteTable({})
    table.learn({"sales": doc("/v1/old")})
    table.learn({"sales": doc("/v1/new")})
    assert table.service_for("/v1/old") is None
    assert table.service_for("/v1/new") == "sales"


def test_a_path_of_one_service_under_anothers_prefix_routes_by_its_template() -> None:
    table = RouteTable({"contacts": ("contacts",)})
    table.learn(
        {
            "contacts": doc("/v1/contacts/{id}"),
            "marketing": doc("/v1/contacts/{contact_id}/score"),
        }
    )
    assert table.service_for("/v1/contacts/abc/score") == "marketing"
    assert table.service_for("/v1/contacts/abc") == "contacts"
    assert table.service_for("/v1/contacts/abc/score/x") == "contacts"
