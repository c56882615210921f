"""The soak's verdicts: which lists it reads, and which process it calls growing."""

from crm_local.soak import growing, list_endpoints


def test_only_parameterless_lists_of_the_services_are_read() -> None:
    openapi = {
        "paths": {
            "/v1/contacts": {"get": {"parameters": [{"name": "limit", "required": False}]}},
            "/v1/contacts/{id}": {"get": {}},
            "/v1/tickets": {"get": {}, "post": {}},
            "/v1/quotes": {"post": {}},
            "/v1/olap/query": {"get": {"parameters": [{"name": "cube", "required": True}]}},
            "/v1/admin/jobs": {"get": {}},
            "/v1/portal/tickets": {"get": {}},
            "/healthz": {"get": {}},
        }
    }

    assert list_endpoints(openapi) == ["/v1/contacts", "/v1/tickets"]


def test_warming_up_is_not_growing_but_growing_in_both_halves_is() -> None:
    mib = 2**20
    samples = [
        {"warms": 100 * mib, "leaks": 100 * mib, "steady": 100 * mib},
        {"warms": 150 * mib, "leaks": 120 * mib, "steady": 101 * mib},
        {"warms": 152 * mib, "leaks": 150 * mib, "steady": 102 * mib},
    ]

    assert growing(samples) == ["leaks"]
