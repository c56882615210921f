"""Evaluating configuration rules (S7): a priced configuration and every rule that fired.

Rules run in their order. Selection and validation actions collect errors (the
configuration is refused naming each rule) and warnings; pricing actions set unit prices
(volume tiers), discount lines, and price bundles as one adjustment, so the priced
configuration explains every amount. Prices come from the tenant's price book in one
currency; the totals are exact and rounded as quotes are (:mod:`sales_service.quotes.totals`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from crm_proto.money import Money

from sales_service.configuration.rules import (
    BundlePrice,
    Condition,
    Discount,
    Excludes,
    Message,
    Requires,
    RuleBody,
    VolumeTiers,
)
from sales_service.quotes.totals import HUNDRED, LineInput, line_totals, rounded


@dataclass(frozen=True)
class NamedRule:
    name: str
    body: RuleBody


@dataclass
class PricedLine:
    sku: str
    quantity: Decimal
    unit_price: Money
    discount_percent: Decimal = Decimal(0)
    net: Money | None = None


@dataclass
class Fired:
    rule: str
    branch: str
    why: str
    effects: list[str] = field(default_factory=list)


@dataclass
class Result:
    currency: str
    lines: list[PricedLine]
    adjustments: list[tuple[str, Money]]
    total: Money
    fired: list[Fired]
    errors: list[dict[str, str]]
    warnings: list[dict[str, str]]


def _holds(c: Condition, selection: Mapping[str, Decimal]) -> bool:
    quantity = selection.get(c.sku)
    if c.operator == "selected":
        return quantity is not None
    if c.operator == "not_selected":
        return quantity is None
    assert c.value is not None
    if quantity is None:
        return False
    return quantity >= c.value if c.operator == "quantity_gte" else quantity <= c.value


def _why(conditions: Sequence[Condition], held: bool) -> str:
    if not conditions:
        return "always"
    text = " and ".join(
        f"{c.sku} {c.operator}" + (f" {c.value}" if c.value else "") for c in conditions
    )
    return text if held else f"not ({text})"


def evaluate(
    selection: Mapping[str, Decimal],
    prices: Mapping[str, Money],
    rules: Sequence[NamedRule],
    currency: str,
) -> Result:
    """The priced configuration of ``selection`` (sku -> quantity) under ``rules``.

    ``prices`` are the list prices in ``currency``; a selected product without one is an
    error of the configuration itself.
    """
    errors: list[dict[str, str]] = []
    warnings: list[dict[str, str]] = []
    lines: dict[str, PricedLine] = {}
    for sku, quantity in selection.items():
        price = prices.get(sku)
        if price is None:
            errors.append(
                {"rule": "", "field": f"items.{sku}", "message": f"{sku} has no {currency} price"}
            )
            continue
        lines[sku] = PricedLine(sku, quantity, price)
    fired: list[Fired] = []
    bundles: list[tuple[str, BundlePrice]] = []
    whole_discounts: list[tuple[str, Decimal]] = []
    for rule in rules:
        held = all(_holds(c, selection) for c in rule.body.if_)
        actions = rule.body.then if held else rule.body.else_
        if not actions:
            continue
        record = Fired(rule.name, "then" if held else "else", _why(rule.body.if_, held))
        fired.append(record)
        for action in actions:
            if isinstance(action, Requires) and action.sku not in selection:
                errors.append(
                    {"rule": rule.name, "field": "items", "message": f"requires {action.sku}"}
                )
                record.effects.append(f"requires {action.sku}: missing")
            elif isinstance(action, Excludes) and action.sku in selection:
                errors.append(
                    {"rule": rule.name, "field": "items", "message": f"excludes {action.sku}"}
                )
                record.effects.append(f"excludes {action.sku}: selected")
            elif isinstance(action, Message):
                target = errors if action.level == "error" else warnings
                if action.level != "info":
                    target.append({"rule": rule.name, "field": "items", "message": action.text})
                record.effects.append(f"{action.level}: {action.text}")
            elif isinstance(action, VolumeTiers) and action.sku in lines:
                line = lines[action.sku]
                tiers = [t for t in action.tiers if line.quantity >= t.min_quantity]
                if tiers:
                    tier = max(tiers, key=lambda t: t.min_quantity)
                    line.unit_price = tier.unit_price
                    record.effects.append(
                        f"{action.sku} at {tier.unit_price} from {tier.min_quantity} units"
                    )
            elif isinstance(action, Discount):
                if action.sku is None:
                    whole_discounts.append((rule.name, action.percent))
                    record.effects.append(f"{action.percent}% off the configuration")
                elif action.sku in lines:
                    lines[action.sku].discount_percent += action.percent
                    record.effects.append(f"{action.percent}% off {action.sku}")
            elif isinstance(action, BundlePrice) and all(s in lines for s in action.skus):
                bundles.append((rule.name, action))
                record.effects.append(f"bundle {'+'.join(action.skus)} at {action.price}")
    return _priced(currency, lines, bundles, whole_discounts, fired, errors, warnings)


def _priced(
    currency: str,
    lines: dict[str, PricedLine],
    bundles: list[tuple[str, BundlePrice]],
    whole_discounts: list[tuple[str, Decimal]],
    fired: list[Fired],
    errors: list[dict[str, str]],
    warnings: list[dict[str, str]],
) -> Result:
    zero = Money.zero(currency)
    for line in lines.values():
        if line.unit_price.currency != currency:
            errors.append(
                {"rule": "", "field": f"items.{line.sku}", "message": "price in another currency"}
            )
            line.net = zero
            continue
        percent = min(line.discount_percent, HUNDRED)
        line.discount_percent = percent
        line.net = line_totals(LineInput(line.quantity, line.unit_price, percent)).net
    adjustments: list[tuple[str, Money]] = []
    for name, bundle in bundles:
        # The bundle's products cost the bundle price for one set of them.
        one_set = sum((rounded(lines[s].unit_price.amount, currency) for s in bundle.skus), zero)
        if bundle.price.currency == currency and bundle.price < one_set:
            adjustments.append((f"{name}: bundle", bundle.price - one_set))
    subtotal = sum((line.net or zero for line in lines.values()), zero)
    subtotal = max(subtotal + sum((a for _, a in adjustments), zero), zero)
    for name, percent in whole_discounts:
        off = rounded(subtotal.amount * min(percent, HUNDRED) / HUNDRED, currency)
        adjustments.append((f"{name}: {percent}% off", -off))
        subtotal = subtotal - off
    return Result(currency, list(lines.values()), adjustments, subtotal, fired, errors, warnings)
