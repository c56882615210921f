"""Search (C5) through the HTTP API against real PostgreSQL: filter groups over standard,
consent and custom fields, full text, sorting with cursor pagination, phone lookup."""

from uuid import uuid4

import pytest

PROBLEM = "application/problem+json"
FUTURE = "2100-01-01T00:00:00Z"
OWNER = str(uuid4())

CUSTOM_FIELDS = [
    {"key": "tier", "type": "enum", "options": ["bronze", "silver", "gold"]},
    {"key": "score", "type": "number"},
    {"key": "budget", "type": "money"},
    {"key": "renewal", "type": "date"},
    {"key": "vip", "type": "bool"},
    {"key": "regions", "type": "multi_enum", "options": ["emea", "amer", "apac"]},
    {"key": "nickname", "type": "text"},
]


async def define_fields(api, object_type="contact", fields=CUSTOM_FIELDS):
    for f in fields:
        body = {"object_type": object_type, "label": f["key"].title(), **f}
        response = await api.post("/v1/custom-fields", json=body)
        assert response.status_code == 201, response.text


async def create(api, path="/v1/contacts", **body):
    response = await api.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def people(api):
    """Five contacts with every kind of field, keyed by first name."""
    await define_fields(api)
    account = await create(api, "/v1/accounts", name="Bletchley Park")
    out = {}
    for body in (
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "emails": [{"email": "ada@analytical.example"}, {"email": "ada.l@home.example"}],
            "phone": "+44 20 7946 0000",
            "company": "Analytical Engines",
            "lifecycle_stage": "customer",
            "tags": ["vip", "math"],
            "membership_level": "gold",
            "member_since": "2020-01-15",
            "consent": {"email": {"marketing": "granted"}},
            "custom": {
                "tier": "gold",
                "score": 95,
                "budget": {"amount": "1000.50", "currency": "EUR"},
                "renewal": "2026-03-01",
                "vip": True,
                "regions": ["emea"],
                "nickname": "Countess",
            },
        },
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@navy.example",
            "phone": "(202) 555-0100",
            "company": "US Navy",
            "title": "Rear Admiral",
            "lifecycle_stage": "customer",
            "tags": ["navy"],
            "do_not_contact": True,
            "member_since": "2015-06-01",
            "consent": {"email": {"marketing": "denied"}},
            "custom": {
                "tier": "silver",
                "score": 80,
                "budget": {"amount": "250", "currency": "USD"},
                "renewal": "2025-12-31",
                "vip": False,
                "regions": ["amer", "emea"],
            },
        },
        {
            "first_name": "Alan",
            "last_name": "Turing",
            "email": "alan@bletchley.example",
            "phone": "+44 1908 640404",
            "lifecycle_stage": "lead",
            "tags": ["vip"],
            "owner_id": OWNER,
            "account_id": account["id"],
            "external_id": "CRM-42",
            "custom": {"tier": "gold", "score": 70, "regions": ["emea"]},
        },
        {
            "first_name": "Katherine",
            "last_name": "Johnson",
            "email": "katherine@nasa.example",
            "lifecycle_stage": "opportunity",
            "tags": ["math", "nasa"],
            "custom": {"score": "99.5", "budget": {"amount": "99.99", "currency": "USD"}},
        },
        {"first_name": "Edsger", "email": "edsger@tue.example"},
    ):
        contact = await create(api, **body)
        out[contact["first_name"]] = contact
    return out


async def search(api, path="/v1/contacts/search", **body):
    response = await api.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def names(api, *groups, **body):
    found = await search(api, filter_groups=[{"filters": g} for g in groups], limit=500, **body)
    assert found["next_cursor"] is None
    return {c["first_name"] for c in found["data"]}


def f(field, operator, value=None):
    return {"field": field, "operator": operator, "value": value}


async def test_two_filter_groups_with_custom_fields_are_or_of_ands(api, people):
    found = await names(
        api,
        [f("lifecycle_stage", "eq", "customer"), f("custom.tier", "eq", "gold")],
        [f("tags", "contains", "vip"), f("custom.score", "lt", 80)],
    )
    assert found == {"Ada", "Alan"}
    # no groups: every contact; the response items are full contacts, as GET returns them
    everyone = await search(api)
    assert {c["first_name"] for c in everyone["data"]} == set(people)
    ada = next(c for c in everyone["data"] if c["first_name"] == "Ada")
    assert ada == (await api.get(f"/v1/contacts/{ada['id']}")).json()


ALL = {"Ada", "Grace", "Alan", "Katherine", "Edsger"}
OPERATOR_CASES = [
    # text: case-insensitive; "not" includes the records without a value
    (f("first_name", "eq", "ADA"), {"Ada"}),
    (f("last_name", "neq", "hopper"), ALL - {"Grace"}),
    (f("company", "in", ["us navy", "Analytical Engines"]), {"Ada", "Grace"}),
    (f("company", "contains", "ENGINE"), {"Ada"}),
    (f("last_name", "starts_with", "lo"), {"Ada"}),
    (f("last_name", "starts_with", "%"), set()),
    (f("last_name", "exists", False), {"Edsger"}),
    (f("title", "exists", True), {"Grace"}),
    (f("membership_level", "eq", "GOLD"), {"Ada"}),
    # every email of a contact, not only the primary
    (f("email", "eq", "ADA.L@home.example"), {"Ada"}),
    (f("email", "in", ["grace@navy.example", "alan@bletchley.example"]), {"Grace", "Alan"}),
    (f("email", "neq", "ada@analytical.example"), ALL - {"Ada"}),
    (f("email", "contains", "NAVY"), {"Grace"}),
    (f("email", "starts_with", "ada.l"), {"Ada"}),
    (f("email", "starts_with", "home"), set()),
    # phones, normalised to E.164 in the tenant's region (US here)
    (f("phone", "eq", "(202) 555-0100"), {"Grace"}),
    (f("phone", "eq", "+44 20 7946 0000"), {"Ada"}),
    (f("phone", "in", ["+1 202 555 0100", "+441908640404"]), {"Grace", "Alan"}),
    (f("phone", "starts_with", "+44"), {"Ada", "Alan"}),
    (f("phone", "contains", "555-0100"), {"Grace"}),
    (f("phone", "exists", False), {"Katherine", "Edsger"}),
    (f("lifecycle_stage", "in", ["lead", "opportunity"]), {"Alan", "Katherine"}),
    (f("lifecycle_stage", "neq", "customer"), {"Alan", "Katherine", "Edsger"}),
    (f("lifecycle_stage", "exists", False), {"Edsger"}),
    (f("tags", "eq", "VIP"), {"Ada", "Alan"}),
    (f("tags", "in", ["navy", "nasa"]), {"Grace", "Katherine"}),
    (f("tags", "contains", ["vip", "math"]), {"Ada"}),
    (f("tags", "neq", "vip"), {"Grace", "Katherine", "Edsger"}),
    (f("tags", "exists", False), {"Edsger"}),
    (f("member_since", "gte", "2020-01-01"), {"Ada"}),
    (f("member_since", "lt", "2020-01-15"), {"Grace"}),
    (f("member_since", "lte", "2020-01-15"), {"Ada", "Grace"}),
    (f("member_since", "gt", "2015-06-01"), {"Ada"}),
    (f("do_not_contact", "eq", True), {"Grace"}),
    (f("do_not_contact", "neq", True), ALL - {"Grace"}),
    (f("created_at", "lt", FUTURE), ALL),
    (f("created_at", "gt", FUTURE), set()),
    (f("updated_at", "gte", "2000-01-01"), ALL),
    (f("owner_id", "eq", OWNER), {"Alan"}),
    # identifiers from elsewhere compare exactly
    (f("external_id", "eq", "CRM-42"), {"Alan"}),
    (f("external_id", "eq", "crm-42"), set()),
    (f("external_id", "starts_with", "CRM-"), {"Alan"}),
    (f("external_id", "in", ["CRM-42", "X"]), {"Alan"}),
    (f("account_id", "exists", True), {"Alan"}),
    (f("consent.email.marketing", "eq", "granted"), {"Ada"}),
    (f("consent.email.marketing", "neq", "granted"), ALL - {"Ada"}),
    (f("consent.email.marketing", "exists", True), {"Ada", "Grace"}),
    (f("consent.sms.marketing", "exists", True), set()),
    # custom fields, typed by the tenant's definitions
    (f("custom.tier", "eq", "gold"), {"Ada", "Alan"}),
    (f("custom.tier", "in", ["silver", "bronze"]), {"Grace"}),
    (f("custom.tier", "neq", "gold"), {"Grace", "Katherine", "Edsger"}),
    (f("custom.tier", "exists", False), {"Katherine", "Edsger"}),
    (f("custom.score", "gt", 80), {"Ada", "Katherine"}),
    (f("custom.score", "gte", "80"), {"Ada", "Grace", "Katherine"}),
    (f("custom.score", "lte", 80.0), {"Grace", "Alan"}),
    (f("custom.score", "eq", 95), {"Ada"}),
    (f("custom.score", "eq", "99.50"), {"Katherine"}),
    (f("custom.score", "in", [70, 80]), {"Alan", "Grace"}),
    (f("custom.score", "neq", 95), ALL - {"Ada"}),
    (f("custom.budget", "gte", 250), {"Ada", "Grace"}),
    (f("custom.budget", "lt", "100"), {"Katherine"}),
    (f("custom.budget", "eq", "250.00"), {"Grace"}),
    (f("custom.budget", "exists", True), {"Ada", "Grace", "Katherine"}),
    (f("custom.renewal", "lt", "2026-01-01"), {"Grace"}),
    (f("custom.renewal", "gte", "2026-01-01"), {"Ada"}),
    (f("custom.renewal", "eq", "2026-03-01"), {"Ada"}),
    (f("custom.vip", "eq", True), {"Ada"}),
    (f("custom.vip", "eq", False), {"Grace"}),
    (f("custom.vip", "neq", True), ALL - {"Ada"}),
    (f("custom.regions", "eq", "emea"), {"Ada", "Grace", "Alan"}),
    (f("custom.regions", "in", ["amer", "apac"]), {"Grace"}),
    (f("custom.regions", "contains", ["amer", "emea"]), {"Grace"}),
    (f("custom.regions", "neq", "emea"), {"Katherine", "Edsger"}),
    (f("custom.nickname", "eq", "countess"), {"Ada"}),
    (f("custom.nickname", "contains", "UNT"), {"Ada"}),
    (f("custom.nickname", "starts_with", "cou"), {"Ada"}),
    (f("custom.nickname", "exists", False), ALL - {"Ada"}),
]


@pytest.mark.parametrize(
    ("flt", "expected"),
    OPERATOR_CASES,
    ids=[f"{c[0]['field']}-{c[0]['operator']}-{c[0]['value']}" for c in OPERATOR_CASES],
)
async def test_each_operator(api, people, flt, expected):
    assert await names(api, [flt]) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ada", {"Ada"}),
        ("LOV", {"Ada"}),
        ("ada love", {"Ada"}),
        ("ada hopper", set()),
        ("navy", {"Grace"}),
        ("grace@navy.example", {"Grace"}),
        ("analytical.example", {"Ada"}),
        ("bletch", {"Alan"}),
        ("+44 20 7946 0000", {"Ada"}),
        ("(202) 555-0100", {"Grace"}),
        ("4420794", {"Ada"}),
    ],
)
async def test_full_text_query_matches_word_prefixes_of_names_emails_phones(
    api, people, query, expected
):
    assert await names(api, query=query) == expected


async def test_query_and_filters_combine(api, people):
    groups = [[f("lifecycle_stage", "eq", "customer")]]
    assert await names(api, *groups, query="a") == {"Ada"}  # Grace has no word in "a"


async def test_phone_lookup_finds_every_contact_with_the_number(api, other_api, people):
    shared = await create(
        api, first_name="Twin", phones=[{"number": "+1 650 555 0199"}, {"number": "202-555-0100"}]
    )
    for number in ("(202) 555-0100", "+1 202 555 0100", "0012025550100", "2025550100"):
        response = await api.get("/v1/contacts/lookup", params={"phone": number})
        assert response.status_code == 200, response.text
        assert {c["first_name"] for c in response.json()["data"]} == {"Grace", "Twin"}
    one = (await api.get("/v1/contacts/lookup", params={"phone": "+16505550199"})).json()
    assert [c["id"] for c in one["data"]] == [shared["id"]]
    none = await other_api.get("/v1/contacts/lookup", params={"phone": "(202) 555-0100"})
    assert none.status_code == 200 and none.json() == {"data": []}
    for bad in ({"phone": "not a number"}, {"phone": "12"}, {}):
        response = await api.get("/v1/contacts/lookup", params=bad)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
        assert "phone" in response.json()["errors"][0]["field"]


async def test_phone_lookup_reads_a_national_number_in_the_given_region(api, people):
    london = {"phone": "020 7946 0000"}
    found = (await api.get("/v1/contacts/lookup", params=london | {"region": "GB"})).json()
    assert [c["first_name"] for c in found["data"]] == ["Ada"]  # +44 20 7946 0000
    lower = (await api.get("/v1/contacts/lookup", params=london | {"region": "gb"})).json()
    assert lower == found
    # without a region the number is read in the default one (US), where it is none
    assert (await api.get("/v1/contacts/lookup", params=london)).status_code == 422
    for bad in ("XX", "GBR", "1"):
        response = await api.get("/v1/contacts/lookup", params=london | {"region": bad})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"][0]["field"] == "query.region"


def _order(contacts, key, descending):
    """Expected order: by key with missing values last either way, then by id."""
    valued = [c for c in contacts if key(c) is not None]
    missing = [c for c in contacts if key(c) is None]
    valued.sort(key=lambda c: (key(c), c["id"]), reverse=descending)
    missing.sort(key=lambda c: c["id"], reverse=descending)
    return [c["id"] for c in valued + missing]


async def test_sorting_and_pagination_walk_every_result_once(api):
    await define_fields(api)
    rows = [
        ("Zoe", "Adams", 5, "2021-01-01"),
        ("Yan", "adams", None, None),
        ("Xia", None, 3, "2019-05-05"),
        ("Wim", "Baker", 5, None),
        ("Vic", None, None, "2019-05-05"),
        ("Uma", "Carter", -1.5, "2023-02-02"),
        ("Tom", "baker", 12, "2018-01-01"),
    ]
    contacts = []
    for first, last, score, since in rows:
        body = {"first_name": first, "last_name": last, "member_since": since, "tags": ["p"]}
        if score is not None:
            body["custom"] = {"score": score}
        contacts.append(await create(api, **body))
    keys = {
        "last_name": lambda c: c["last_name"].lower() if c["last_name"] else None,
        "created_at": lambda c: c["created_at"],
        "member_since": lambda c: c["member_since"],
        "custom.score": lambda c: c["custom"].get("score"),
        "first_name": lambda c: c["first_name"].lower(),
    }
    tagged = [{"filters": [f("tags", "eq", "p")]}]
    for name, key in keys.items():
        for descending in (False, True):
            sort = f"-{name}" if descending else name
            seen, cursor, pages = [], None, 0
            while True:
                body = {"sort": sort, "limit": 2, "filter_groups": tagged}
                if cursor:
                    body["cursor"] = cursor
                page = await search(api, **body)
                assert len(page["data"]) <= 2
                seen += [c["id"] for c in page["data"]]
                pages += 1
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert seen == _order(contacts, key, descending), sort
            assert pages == 4, sort  # 7 rows, 2 a page: never an empty last page


async def test_searches_pinned_to_emails_or_numbers_page_like_any_other(api, people):
    # every group names emails or numbers: the repository fences the GIN lookup first
    emails = ["ada@analytical.example", "grace@navy.example", "alan@bletchley.example"]
    groups = [
        {"filters": [f("email", "in", emails)]},
        {"filters": [f("phone", "eq", "+1 202 555 0100"), f("do_not_contact", "eq", True)]},
    ]
    seen, cursor = [], None
    while True:
        body = {"filter_groups": groups, "sort": "-last_name", "limit": 1}
        page = await search(api, **body, **({"cursor": cursor} if cursor else {}))
        seen += [c["first_name"] for c in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["Alan", "Ada", "Grace"]
    assert await names(api, query="+44 1908 640404") == {"Alan"}


async def test_another_tenants_records_are_never_returned(api, other_api, people):
    assert (await search(other_api))["data"] == []
    assert (await search(other_api, query="ada"))["data"] == []
    email = [{"filters": [f("email", "eq", "ada@analytical.example")]}]
    assert (await search(other_api, filter_groups=email))["data"] == []
    assert (await search(other_api, path="/v1/accounts/search"))["data"] == []
    # the other tenant's custom fields are not this tenant's either
    custom = [{"filters": [f("custom.tier", "eq", "gold")]}]
    response = await other_api.post("/v1/contacts/search", json={"filter_groups": custom})
    assert response.status_code == 422
    # nor does a cursor made by one tenant show the other anything
    first = await search(api, limit=1)
    page = await search(other_api, limit=1, cursor=first["next_cursor"])
    assert page["data"] == []


def group(*filters):
    return {"filter_groups": [{"filters": list(filters)}]}


VALIDATION_CASES = [
    (group(f("nope", "eq", 1)), "filter_groups[0].filters[0].field"),
    (group(f("custom.nope", "eq", 1)), "filter_groups[0].filters[0].field"),
    (group(f("consent.fax.marketing", "eq", "granted")), "filter_groups[0].filters[0].field"),
    (group(f("do_not_contact", "gt", True)), "filter_groups[0].filters[0].operator"),
    (group(f("tags", "starts_with", "v")), "filter_groups[0].filters[0].operator"),
    (group(f("custom.tier", "lt", "gold")), "filter_groups[0].filters[0].operator"),
    (group(f("first_name", "like", "a")), "filter_groups[0].filters[0].operator"),
    (group(f("custom.score", "eq", "abc")), "filter_groups[0].filters[0].value"),
    (group(f("custom.score", "gt", True)), "filter_groups[0].filters[0].value"),
    (group(f("custom.score", "in", 5)), "filter_groups[0].filters[0].value"),
    (group(f("custom.score", "in", [5, "x"])), "filter_groups[0].filters[0].value[1]"),
    (group(f("custom.score", "in", [])), "filter_groups[0].filters[0].value"),
    (group(f("custom.tier", "eq", "platinum")), "filter_groups[0].filters[0].value"),
    (group(f("custom.renewal", "gt", "soon")), "filter_groups[0].filters[0].value"),
    (group(f("custom.vip", "eq", "yes")), "filter_groups[0].filters[0].value"),
    (group(f("custom.budget", "gt", {"amount": 1})), "filter_groups[0].filters[0].value"),
    (group(f("first_name", "eq")), "filter_groups[0].filters[0].value"),
    (group(f("first_name", "eq", 5)), "filter_groups[0].filters[0].value"),
    (group(f("first_name", "contains", "")), "filter_groups[0].filters[0].value"),
    (group(f("first_name", "exists", "yes")), "filter_groups[0].filters[0].value"),
    (group(f("phone", "eq", "call me")), "filter_groups[0].filters[0].value"),
    (group(f("owner_id", "eq", "not-a-uuid")), "filter_groups[0].filters[0].value"),
    (group(f("lifecycle_stage", "eq", "pending")), "filter_groups[0].filters[0].value"),
    (group(f("created_at", "gt", "yesterday")), "filter_groups[0].filters[0].value"),
    (group(f("member_since", "gt", 2020)), "filter_groups[0].filters[0].value"),
    (group({"operator": "eq", "value": "x"}), "filter_groups[0].filters[0].field"),
    (
        group({"field": "first_name", "operator": "eq", "value": "x", "x": 1}),
        "filter_groups[0].filters[0].x",
    ),
    ({"filter_groups": [{"filters": [f("first_name", "eq", "a")]}] * 6}, "filter_groups"),
    (group(*[f("first_name", "eq", "a")] * 11), "filter_groups[0].filters"),
    ({"filter_groups": [{"filters": []}]}, "filter_groups[0].filters"),
    ({"filter_groups": {"filters": []}}, "filter_groups"),
    ({"bogus": 1}, "bogus"),
    ({"sort": "nope"}, "sort"),
    ({"sort": "custom.regions"}, "sort"),
    ({"sort": "custom.nope"}, "sort"),
    ({"limit": 0}, "limit"),
    ({"limit": 501}, "limit"),
    ({"cursor": "garbage!"}, "cursor"),
    ({"query": "x" * 201}, "query"),
    ({"query": "!!! ???"}, "query"),
    ([1, 2], "body"),
]


@pytest.mark.parametrize(("body", "field"), VALIDATION_CASES, ids=[c[1] for c in VALIDATION_CASES])
async def test_every_validation_error_is_a_422_problem_naming_the_field(api, body, field):
    await define_fields(api)
    response = await api.post("/v1/contacts/search", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422
    assert field in [e["field"] for e in problem["errors"]], problem


async def test_all_mistakes_are_reported_at_once_and_a_cursor_is_bound_to_its_sort(api):
    for i in range(3):
        await create(api, first_name=f"P{i}")
    body = {
        "filter_groups": [
            {"filters": [f("first_name", "eq", "x"), f("nope", "eq", 1)]},
            {"filters": [f("tags", "gt", "x")]},
        ],
        "sort": "nope",
    }
    problem = (await api.post("/v1/contacts/search", json=body)).json()
    assert [e["field"] for e in problem["errors"]] == [
        "filter_groups[0].filters[1].field",
        "filter_groups[1].filters[0].operator",
        "sort",
    ]
    cursor = (await search(api, limit=1, sort="first_name"))["next_cursor"]
    response = await api.post("/v1/contacts/search", json={"cursor": cursor, "sort": "last_name"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "cursor"


async def test_account_search_filters_text_sorts_and_pages(api):
    await define_fields(api, "account", [{"key": "arr", "type": "money"}])
    specs = [
        ("Acme Rockets", "customer", 500, "acme.example", "+1 202 555 0111", "120000"),
        ("Acme Foods", "prospect", 20, None, None, "5000"),
        ("Beta Labs", "partner", 75, "beta.example", None, None),
        ("Gamma Ltd", "customer", None, None, None, "90000.5"),
    ]
    accounts = {}
    for name, type_, employees, domain, phone, arr in specs:
        body = {"name": name, "type": type_, "employees": employees, "domain": domain}
        body |= {
            "phone": phone,
            "custom": {"arr": {"amount": arr, "currency": "USD"}} if arr else {},
        }
        accounts[name] = await create(api, "/v1/accounts", **body)

    async def account_names(*groups, **body):
        found = await search(
            api, "/v1/accounts/search", filter_groups=[{"filters": g} for g in groups], **body
        )
        return [a["name"] for a in found["data"]]

    assert await account_names([f("name", "starts_with", "acme")], sort="name") == [
        "Acme Foods",
        "Acme Rockets",
    ]
    assert await account_names(
        [f("type", "eq", "customer"), f("custom.arr", "gte", 100000)],
        [f("employees", "lt", 50)],
        sort="-name",
    ) == ["Acme Rockets", "Acme Foods"]
    assert await account_names([f("phone", "eq", "(202) 555-0111")]) == ["Acme Rockets"]
    assert await account_names(query="beta") == ["Beta Labs"]
    assert await account_names(query="+1 202 555 0111") == ["Acme Rockets"]
    assert await account_names(sort="employees") == [
        "Acme Foods",
        "Beta Labs",
        "Acme Rockets",
        "Gamma Ltd",
    ]
    assert await account_names(sort="-custom.arr") == [
        "Acme Rockets",
        "Gamma Ltd",
        "Acme Foods",
        "Beta Labs",
    ]
    bad = await api.post("/v1/accounts/search", json=group(f("lifecycle_stage", "eq", "customer")))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "filter_groups[0].filters[0].field"
