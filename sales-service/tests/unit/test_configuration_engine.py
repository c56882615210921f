"""Configuration rules: selection, validation and pricing, each firing rule explained."""

from decimal import Decimal

import pytest
from crm_proto.money import Money
from pydantic import ValidationError
from sales_service.configuration.engine import NamedRule, evaluate
from sales_service.configuration.rules import RuleBody

PRICES = {
    s: Money.of(p, "EUR") for s, p in {"CAM": "100.00", "LENS": "50.00", "BAG": "20.00"}.items()
}


def rule(name: str, body: dict) -> NamedRule:
    return NamedRule(name, RuleBody.model_validate(body))


def test_a_requirement_and_an_exclusion_name_the_rule_that_fails() -> None:
    rules = [
        rule("camera needs a lens", {"if": [{"sku": "CAM", "operator": "selected"}],
                                     "then": [{"type": "requires", "sku": "LENS"}]}),
        rule("no bag with lens", {"if": [{"sku": "LENS", "operator": "selected"}],
                                  "then": [{"type": "excludes", "sku": "BAG"}]}),
    ]  # fmt: skip
    result = evaluate({"CAM": Decimal(1)}, PRICES, rules, "EUR")
    assert [e["rule"] for e in result.errors] == ["camera needs a lens"]
    result = evaluate(
        {"CAM": Decimal(1), "LENS": Decimal(1), "BAG": Decimal(1)}, PRICES, rules, "EUR"
    )
    assert [e["rule"] for e in result.errors] == ["no bag with lens"]
    assert evaluate({"CAM": Decimal(1), "LENS": Decimal(1)}, PRICES, rules, "EUR").errors == []


def test_else_branch_fires_when_the_condition_does_not_hold() -> None:
    warn = {"type": "message", "level": "warning", "text": "add a bag?"}
    rules = [rule("warn", {"if": [{"sku": "BAG", "operator": "selected"}], "else": [warn]})]
    result = evaluate({"CAM": Decimal(1)}, PRICES, rules, "EUR")
    assert result.warnings[0]["message"] == "add a bag?" and result.errors == []
    assert (result.fired[0].branch, result.fired[0].why) == ("else", "not (BAG selected)")


def test_volume_tiers_bundle_and_discounts_price_the_configuration() -> None:
    rules = [
        rule("lens volume", {"then": [{"type": "volume_tiers", "sku": "LENS", "tiers": [
            {"min_quantity": "5", "unit_price": {"amount": "45.00", "currency": "EUR"}},
            {"min_quantity": "10", "unit_price": {"amount": "40.00", "currency": "EUR"}}]}]}),
        rule("kit", {"then": [{"type": "bundle_price", "skus": ["CAM", "BAG"],
                               "price": {"amount": "110.00", "currency": "EUR"}}]}),
        rule("spring", {"then": [{"type": "discount", "percent": "10"}]}),
    ]  # fmt: skip
    result = evaluate(
        {"CAM": Decimal(1), "BAG": Decimal(1), "LENS": Decimal(10)}, PRICES, rules, "EUR"
    )
    assert [line.unit_price for line in result.lines if line.sku == "LENS"] == [
        Money.of("40.00", "EUR")
    ]
    # 100 + 20 + 400 = 520; the kit saves 10 -> 510; 10% off -> 459
    assert [a for _, a in result.adjustments] == [
        Money.of("-10.00", "EUR"),
        Money.of("-51.00", "EUR"),
    ]
    assert result.total == Money.of("459.00", "EUR")
    assert [f.rule for f in result.fired] == ["lens volume", "kit", "spring"]


def test_a_discount_never_takes_a_line_below_zero() -> None:
    off = {"then": [{"type": "discount", "percent": "80", "sku": "CAM"}]}
    rules = [rule("a", off), rule("b", off)]
    result = evaluate({"CAM": Decimal(2)}, PRICES, rules, "EUR")
    assert result.total == Money.zero("EUR")


@pytest.mark.parametrize(
    "body",
    [
        {"then": []},
        {
            "if": [{"sku": "A", "operator": "quantity_gte"}],
            "then": [{"type": "requires", "sku": "B"}],
        },
        {"then": [{"type": "exec", "code": "import os"}]},
        {"then": [{"type": "discount", "percent": "120"}]},
        {
            "then": [
                {
                    "type": "bundle_price",
                    "skus": ["A", "B"],
                    "price": {"amount": 5.5, "currency": "EUR"},
                }
            ]
        },
    ],
)
def test_a_rule_that_is_not_valid_data_is_refused_when_saved(body: dict) -> None:
    with pytest.raises(ValidationError):
        RuleBody.model_validate(body)
