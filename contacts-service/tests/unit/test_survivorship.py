"""Survivorship: how the record left by a merge is made from the records merged (C6)."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from contacts_service.merge.survivorship import (
    InvalidChoice,
    merge_accounts,
    merge_consent,
    merge_contacts,
)
from hypothesis import given
from hypothesis import strategies as st

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def contact(**fields):
    base = {
        "id": str(uuid4()),
        "first_name": None,
        "last_name": None,
        "title": None,
        "company": None,
        "emails": [],
        "phones": [],
        "addresses": [],
        "account_id": None,
        "owner_id": None,
        "lifecycle_stage": None,
        "do_not_contact": False,
        "consent": {},
        "membership_level": None,
        "member_since": None,
        "tags": [],
        "custom": {},
        "external_id": None,
        "updated_at": T0.isoformat(),
    }
    return {**base, **fields}


def emails(*addresses, primary=None):
    return [
        {"email": a, "label": None, "primary": a == (primary or addresses[0])} for a in addresses
    ]


def test_the_primary_wins_every_non_empty_field_and_empty_ones_are_filled():
    a = contact(first_name="Ada", last_name="Lovelace", title=None, company="")
    b = contact(first_name="Augusta", title="Countess", company="Analytical Engines")
    out = merge_contacts(a, [b], {})
    assert out.values["first_name"] == "Ada"
    assert out.values["title"] == "Countess"
    assert out.values["company"] == "Analytical Engines"  # "" counts as empty
    assert out.sources["first_name"] == {"rule": "primary", "from": [a["id"]]}
    assert out.sources["title"] == {"rule": "filled", "from": [b["id"]]}


def test_empty_fields_are_filled_from_the_most_recently_updated_record_first():
    a = contact(first_name="Ada")
    old = contact(title="Old title", updated_at=(T0 - timedelta(days=3)).isoformat())
    new = contact(title="New title", updated_at=(T0 + timedelta(days=3)).isoformat())
    assert merge_contacts(a, [old, new], {}).values["title"] == "New title"
    assert merge_contacts(a, [new, old], {}).values["title"] == "New title"


def test_a_field_choice_overrides_the_rules_even_with_an_empty_value():
    a = contact(first_name="Ada", title="Analyst")
    b = contact(first_name="Augusta", title=None)
    out = merge_contacts(a, [b], {"first_name": b["id"], "title": b["id"]})
    assert out.values["first_name"] == "Augusta"
    assert out.values["title"] is None
    assert out.sources["title"] == {"rule": "chosen", "from": [b["id"]]}


def test_choices_naming_an_unknown_field_or_a_record_not_merged_are_refused():
    a, b = contact(first_name="A"), contact(first_name="B")
    with pytest.raises(InvalidChoice) as caught:
        merge_contacts(a, [b], {"shoe_size": b["id"], "title": str(uuid4())})
    assert {e["field"] for e in caught.value.errors} == {
        "field_choices.shoe_size",
        "field_choices.title",
    }


def test_emails_are_united_and_the_primary_keeps_its_primary_address():
    a = contact(emails=emails("ada@a.example", "shared@x.example"))
    b = contact(emails=emails("augusta@b.example", "SHARED@x.example", primary="augusta@b.example"))
    out = merge_contacts(a, [b], {})
    assert [(e["email"], e["primary"]) for e in out.values["emails"]] == [
        ("ada@a.example", True),
        ("shared@x.example", False),
        ("augusta@b.example", False),
    ]


def test_the_survivor_takes_a_primary_email_when_it_had_none():
    a = contact(first_name="Ada")
    b = contact(emails=emails("b@x.example", "c@x.example", primary="c@x.example"))
    out = merge_contacts(a, [b], {})
    assert [(e["email"], e["primary"]) for e in out.values["emails"]] == [
        ("c@x.example", True),
        ("b@x.example", False),
    ]


def test_phones_collapse_by_e164_and_addresses_by_their_content():
    a = contact(
        phones=[
            {"number": "(202) 555-0100", "e164": "+12025550100", "label": None, "primary": True}
        ],
        addresses=[{"city": "London", "country": "GB", "primary": True, "label": "home"}],
    )
    b = contact(
        phones=[
            {"number": "+1 202 555 0100", "e164": "+12025550100", "label": "work", "primary": True},
            {"number": "+1 202 555 0199", "e164": "+12025550199", "label": None, "primary": False},
        ],
        addresses=[
            {"city": "london ", "country": "gb", "primary": True, "label": "work"},
            {"city": "Paris", "country": "FR", "primary": False, "label": None},
        ],
    )
    out = merge_contacts(a, [b], {})
    assert [(p["e164"], p["primary"]) for p in out.values["phones"]] == [
        ("+12025550100", True),
        ("+12025550199", False),
    ]
    assert [(x["city"], x["primary"]) for x in out.values["addresses"]] == [
        ("London", True),
        ("Paris", False),
    ]


def test_consent_keeps_the_most_restrictive_status_and_do_not_contact_wins():
    a = contact(consent={"email": {"marketing": "granted", "news": "granted"}})
    b = contact(consent={"email": {"marketing": "denied"}, "sms": {"marketing": "granted"}})
    c = contact(do_not_contact=True)
    out = merge_contacts(a, [b, c], {})
    assert out.values["consent"] == {
        "email": {"marketing": "denied", "news": "granted"},
        "sms": {"marketing": "granted"},
    }
    assert out.values["do_not_contact"] is True
    assert out.sources["do_not_contact"]["rule"] == "most_restrictive"


def test_tags_are_united_and_custom_values_filled_when_empty():
    a = contact(tags=["vip"], custom={"tier": "gold", "budget": None})
    b = contact(tags=["beta", "vip"], custom={"tier": "silver", "budget": "100.00", "region": "EU"})
    out = merge_contacts(a, [b], {"custom.region": a["id"]})
    assert out.values["tags"] == ["vip", "beta"]
    assert out.values["custom"] == {"tier": "gold", "budget": "100.00"}
    assert out.sources["custom.budget"] == {"rule": "filled", "from": [b["id"]]}


def test_accounts_follow_the_same_rules():
    a = {
        "id": str(uuid4()),
        "name": "Acme",
        "domain": None,
        "industry": "Tools",
        "tags": ["a"],
        "custom": {},
        "updated_at": T0.isoformat(),
    }
    b = {
        "id": str(uuid4()),
        "name": "ACME Inc.",
        "domain": "acme.example",
        "industry": "Retail",
        "tags": ["b"],
        "custom": {"size": "L"},
        "updated_at": T0.isoformat(),
    }
    out = merge_accounts(a, [b], {})
    assert (out.values["name"], out.values["domain"], out.values["industry"]) == (
        "Acme",
        "acme.example",
        "Tools",
    )
    assert out.values["tags"] == ["a", "b"] and out.values["custom"] == {"size": "L"}


# Properties --------------------------------------------------------------------------------

_local = st.text(alphabet="abcdefgh", min_size=1, max_size=4)
_email = st.builds(lambda lp, d: f"{lp}@{d}.example", _local, st.sampled_from(["a", "b", "c"]))
_status = st.sampled_from(["granted", "denied", "unknown"])
_consent = st.dictionaries(
    st.sampled_from(["email", "sms", "phone"]),
    st.dictionaries(st.sampled_from(["marketing", "news"]), _status, max_size=2),
    max_size=3,
)
_text = st.one_of(st.none(), st.just(""), st.text(alphabet="xyz", min_size=1, max_size=5))


@st.composite
def _contact(draw):
    addresses = draw(st.lists(_email, max_size=4, unique_by=str.lower))
    primary = draw(st.sampled_from(addresses)) if addresses else None
    return contact(
        first_name=draw(_text),
        title=draw(_text),
        emails=[{"email": e, "label": None, "primary": e == primary} for e in addresses],
        consent=draw(_consent),
        do_not_contact=draw(st.booleans()),
        tags=draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True)),
        updated_at=(T0 + timedelta(hours=draw(st.integers(0, 100)))).isoformat(),
    )


@given(_contact(), st.lists(_contact(), min_size=1, max_size=4))
def test_merged_emails_are_the_union_with_one_primary(primary, others):
    out = merge_contacts(primary, others, {})
    merged = [e["email"] for e in out.values["emails"]]
    every = {e["email"].lower() for r in [primary, *others] for e in r["emails"]}
    assert len(merged) == len(set(merged)) and set(merged) == every
    if every:
        assert sum(e["primary"] for e in out.values["emails"]) == 1
    if primary["emails"]:
        kept = next(e["email"] for e in primary["emails"] if e["primary"])
        assert (out.values["emails"][0]["email"], out.values["emails"][0]["primary"]) == (
            kept,
            True,
        )


@given(_contact(), st.lists(_contact(), min_size=1, max_size=4))
def test_the_primary_non_empty_values_always_survive(primary, others):
    out = merge_contacts(primary, others, {})
    for name in ("first_name", "title"):
        if primary[name]:
            assert out.values[name] == primary[name]
        else:
            recent_first = sorted(others, key=lambda r: r["updated_at"], reverse=True)
            filled = [r[name] for r in recent_first if r[name]]
            assert out.values[name] == (filled[0] if filled else None)
    assert set(out.values["tags"]) == {t for r in [primary, *others] for t in r["tags"]}
    assert out.values["do_not_contact"] == any(r["do_not_contact"] for r in [primary, *others])


@given(st.lists(_consent, min_size=1, max_size=5))
def test_a_denial_anywhere_survives_and_nothing_becomes_more_permissive(consents):
    merged = merge_consent(consents)
    for consent in consents:
        for channel, purposes in consent.items():
            for purpose, status in purposes.items():
                got = merged[channel][purpose]
                if status == "denied":
                    assert got == "denied"
                if got == "unknown":
                    assert all(
                        c.get(channel, {}).get(purpose) in (None, "unknown") for c in consents
                    )
