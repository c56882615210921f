"""OLAP over the warehouse: slice, dice, roll-up, drill-down and pivot on known data."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from analytics_factories import contact, order

JAN, FEB, APR = (datetime(2025, m, 10, tzinfo=UTC) for m in (1, 2, 4))


@pytest.fixture
async def sales(analytics_app, tenant):
    """Five orders: two German customers, one French; EUR and one USD order."""
    de1, de2, fr = uuid4(), uuid4(), uuid4()
    geo = {
        de1: ("EMEA", "DE"),
        de2: ("EMEA", "DE"),
        fr: ("EMEA", "FR"),
    }
    events = [
        contact(tenant, c, version=1, addresses=[{"region": r, "country": k, "primary": True}])
        for c, (r, k) in geo.items()
    ]
    events += [
        order(tenant, de1, "100.00", at=JAN),
        order(tenant, de2, "50.50", at=FEB),
        order(tenant, fr, "10.00", at=APR),
        order(tenant, fr, "1.25", at=APR),
        order(tenant, de1, "99.99", at=APR, currency="USD"),
    ]
    await analytics_app.state.runtime.warehouse.load(events)


async def olap(api, **body):
    response = await api.post("/v1/olap/query", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_revenue_rolls_up_by_quarter_and_never_adds_currencies(api, sales):
    body = await olap(api, cube="orders", measures=["revenue", "orders"], rows=["date.quarter"])
    assert body["dimensions"] == ["date.quarter", "currency"]
    assert body["data"] == [
        {"date.quarter": "2025-Q1", "currency": "EUR", "revenue": "150.5000", "orders": 2},
        {"date.quarter": "2025-Q2", "currency": "EUR", "revenue": "11.2500", "orders": 2},
        {"date.quarter": "2025-Q2", "currency": "USD", "revenue": "99.9900", "orders": 1},
    ]


async def test_drill_down_opens_a_quarter_into_its_months(api, sales):
    body = await olap(
        api,
        cube="orders",
        measures=["orders"],
        rows=["date.quarter"],
        drill={"direction": "down", "dimension": "date.quarter", "value": "2025-Q1"},
    )
    assert body["data"] == [
        {"date.month": "2025-01", "orders": 1},
        {"date.month": "2025-02", "orders": 1},
    ]
    up = await olap(
        api, **{**body["query"], "drill": {"direction": "up", "dimension": "date.month"}}
    )
    assert up["data"] == [
        {"date.quarter": "2025-Q1", "orders": 2},
        {"date.quarter": "2025-Q2", "orders": 3},
    ]


async def test_slice_and_dice_by_geography_with_a_pivot(api, sales):
    body = await olap(
        api,
        cube="orders",
        measures=["orders"],
        rows=["geo.country"],
        columns=["date.quarter"],
        filters=[
            {"dimension": "geo.region", "op": "eq", "value": "EMEA"},
            {"dimension": "currency", "op": "in", "values": ["EUR"]},
        ],
    )
    pivot = body["pivot"]
    assert pivot["rows"] == [["DE"], ["FR"]]
    assert pivot["columns"] == [["2025-Q1"], ["2025-Q2"]]
    assert pivot["cells"] == [[{"orders": 2}, None], [None, {"orders": 2}]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cube": "payroll", "measures": ["x"]}, "cube"),
        ({"cube": "orders", "measures": ["revenue; DROP TABLE fact_order"]}, "measures[0]"),
        ({"cube": "orders", "measures": ["orders"], "rows": ["f.tenant_id"]}, "rows"),
        (
            {
                "cube": "orders",
                "measures": ["orders"],
                "filters": [{"dimension": "1=1 OR true", "value": "x"}],
            },
            "filters[0].dimension",
        ),
        (
            {
                "cube": "orders",
                "measures": ["orders"],
                "drill": {"direction": "down", "dimension": "date.day", "value": "x"},
            },
            "drill.direction",
        ),
    ],
)
async def test_every_identifier_is_checked_against_the_cube_model(api, body, field):
    response = await api.post("/v1/olap/query", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_a_value_is_bound_not_spliced(api, sales):
    body = await olap(
        api,
        cube="orders",
        measures=["orders"],
        filters=[{"dimension": "currency", "op": "eq", "value": "EUR' OR '1'='1"}],
    )
    assert body["data"] == [{"orders": 0}]


@pytest.mark.parametrize(
    ("value", "orders"), [(5, 0), (True, 0), ("EUR", 4)], ids=["number", "bool", "text"]
)
async def test_a_value_of_another_type_than_its_dimension_matches_nothing(
    api, sales, value, orders
):
    body = await olap(
        api,
        cube="orders",
        measures=["orders"],
        filters=[{"dimension": "currency", "op": "eq", "value": value}],
    )
    assert body["data"] == [{"orders": orders}]


async def test_a_year_filters_as_a_number(api, sales):
    body = await olap(
        api,
        cube="orders",
        measures=["orders"],
        filters=[{"dimension": "date.year", "op": "gte", "value": 2025}],
    )
    assert body["data"] == [{"orders": 5}]


async def test_another_tenant_sees_nothing_of_the_cube(other_api, sales):
    body = await olap(other_api, cube="orders", measures=["orders"])
    assert body["data"] == [{"orders": 0}]


async def test_cubes_describe_measures_dimensions_and_hierarchies(api):
    response = await api.get("/v1/olap/cubes")
    orders = next(c for c in response.json() if c["name"] == "orders")
    assert orders["hierarchies"]["date"] == ["date.year", "date.quarter", "date.month", "date.day"]
    assert {"name": "revenue", "kind": "money", "description": ""} in orders["measures"]


@pytest.mark.parametrize(
    ("fmt", "media", "magic"),
    [
        ("csv", "text/csv", b"date.month,currency,revenue"),
        ("parquet", "application/vnd.apache.parquet", b"PAR1"),
        ("png", "image/png", b"\x89PNG"),
        ("svg", "image/svg+xml", b"<?xml"),
    ],
)
async def test_a_query_exports_as_csv_parquet_png_and_svg(api, sales, fmt, media, magic):
    body = {"cube": "orders", "measures": ["revenue"], "rows": ["date.month"]}
    response = await api.post("/v1/olap/query", params={"format": fmt}, json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media)
    assert response.content.startswith(magic)


async def test_a_user_who_sees_only_their_own_records_sees_only_their_deals(analytics_app, tenant):
    from analytics_factories import deal_created
    from crm_testing.service import bearer, client

    mine, theirs = uuid4(), uuid4()
    await analytics_app.state.runtime.warehouse.load(
        [
            deal_created(tenant, uuid4(), amount="100", owner=mine),
            deal_created(tenant, uuid4(), amount="900", owner=theirs),
        ]
    )
    headers = bearer(analytics_app.state.settings, tenant, user_id=mine, visibility="own")
    async with client(analytics_app, **headers) as own:
        body = await olap(own, cube="deals", measures=["deals", "open_value"])
    assert body["data"] == [{"currency": "EUR", "deals": 1, "open_value": "100.0000"}]
