from contacts_service.custom_fields.rules import FieldDef, FieldType, validate_values

DEFS = {
    "size": FieldDef("size", FieldType.NUMBER),
    "budget": FieldDef("budget", FieldType.MONEY),
    "renewal": FieldDef("renewal", FieldType.DATE),
    "tier": FieldDef("tier", FieldType.ENUM, ("gold", "silver")),
    "regions": FieldDef("regions", FieldType.MULTI_ENUM, ("emea", "apac", "amer")),
    "vip": FieldDef("vip", FieldType.BOOL),
    "site": FieldDef("site", FieldType.URL),
    "billing": FieldDef("billing", FieldType.EMAIL),
    "hotline": FieldDef("hotline", FieldType.PHONE),
    "notes": FieldDef("notes", FieldType.TEXT),
    "code": FieldDef("code", FieldType.TEXT, required=True),
}


def test_valid_values_are_normalised():
    values, errors = validate_values(
        DEFS,
        {
            "code": "X1",
            "size": "42",
            "budget": {"amount": 1200, "currency": "eur"},
            "renewal": "2027-01-31",
            "tier": "gold",
            "regions": ["amer", "emea", "amer"],
            "vip": True,
            "site": "https://acme.example",
            "billing": "AP@Acme.example",
            "hotline": "+44 20 7946 0000",
            "notes": "hello",
        },
    )
    assert errors == []
    assert values["size"] == 42
    assert values["budget"] == {"amount": "1200", "currency": "EUR"}
    assert values["regions"] == ["emea", "amer"]  # option order, no duplicates
    assert values["billing"] == "ap@acme.example"
    assert values["hotline"] == "+442079460000"


def test_each_bad_value_gets_its_own_error():
    _, errors = validate_values(
        DEFS,
        {
            "code": "X",
            "size": True,
            "budget": {"amount": "ten", "currency": "EUR"},
            "renewal": "31/01/2027",
            "tier": "bronze",
            "regions": ["mars"],
            "vip": "yes",
            "site": "ftp://x",
            "billing": "nope",
            "hotline": "call me",
            "shoe": 1,
        },
    )
    fields = [e["field"] for e in errors]
    assert sorted(fields) == sorted(
        f"custom.{k}"
        for k in [
            "size",
            "budget",
            "renewal",
            "tier",
            "regions",
            "vip",
            "site",
            "billing",
            "hotline",
            "shoe",
        ]
    )
    assert {"field": "custom.shoe", "message": "unknown custom field"} in errors


def test_required_fields_are_enforced_on_create_and_cannot_be_removed_later():
    _, errors = validate_values(DEFS, {})
    assert errors == [{"field": "custom.code", "message": "is required"}]
    _, errors = validate_values(DEFS, {}, enforce_required=False)
    assert errors == []
    _, errors = validate_values(DEFS, {"code": None}, enforce_required=False)
    assert errors == [{"field": "custom.code", "message": "is required"}]
