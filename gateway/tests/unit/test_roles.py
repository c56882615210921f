"""Roles combine into one grant: scopes united, widest visibility, field lists united."""

from __future__ import annotations

from types import MappingProxyType

from crm_gateway.identity.roles import BUILT_IN, Grant, combine, resolve


def fields(**lists: list[str]) -> MappingProxyType[str, frozenset[str]]:
    return MappingProxyType({k: frozenset(v) for k, v in lists.items()})


def test_no_role_grants_nothing() -> None:
    grant = resolve([], {})
    assert grant.scopes == frozenset()
    assert grant.visibility == "own"


def test_unknown_and_operator_roles_grant_nothing() -> None:
    assert resolve(["nope", "operator"], {}) == Grant()


def test_sales_rep_sees_own_records_of_contacts_and_sales_only() -> None:
    grant = resolve(["sales_rep"], {})
    assert grant.visibility == "own"
    assert "sales:*" in grant.scopes and "contacts:*" in grant.scopes
    assert not any(s.startswith(("support", "marketing")) for s in grant.scopes)


def test_roles_combine_to_the_widest_visibility_and_all_scopes() -> None:
    grant = resolve(["sales_rep", "agent"], {})
    assert grant.visibility == "team"
    assert {"sales:*", "support:*"} <= grant.scopes


def test_field_lists_unite_and_an_unrestricted_role_lifts_the_list() -> None:
    a = Grant(frozenset({"contacts:read"}), "own", fields(contact=["first_name"], deal=["name"]))
    b = Grant(frozenset(), "all", fields(contact=["email"]))
    combined = combine([a, b])
    assert combined.fields["contact"] == {"first_name", "email"}
    assert "deal" not in combined.fields  # b does not restrict deals
    assert combined.visibility == "all"


def test_a_tenants_role_is_resolved_by_name() -> None:
    custom = {"intern": Grant(frozenset({"contacts:read"}), "own", fields(contact=["name"]))}
    grant = resolve(["intern"], custom)
    assert grant.scopes == {"contacts:read"}
    assert grant.fields["contact"] == {"name"}


def test_every_built_in_role_has_scopes() -> None:
    assert set(BUILT_IN) == {
        "admin", "manager", "sales_rep", "marketer", "agent", "analyst", "read_only",
    }  # fmt: skip
    assert all(g.scopes for g in BUILT_IN.values())
