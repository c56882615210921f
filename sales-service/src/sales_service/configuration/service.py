"""Configuration use cases (S7): rules as data, and pricing a selection by them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from crm_chassis.crud import Call, Crud, View
from crm_chassis.errors import CRMError, NotFound, ValidationFailed
from crm_chassis.money import canonical
from crm_chassis.repository import TenantRepository
from crm_proto.money import Money

from sales_service.common.events import lifecycle_events
from sales_service.configuration.engine import NamedRule, evaluate
from sales_service.configuration.models import ConfigurationRule
from sales_service.configuration.rules import RuleBody
from sales_service.configuration.schemas import (
    ConfigurationIn,
    ConfigurationRuleRead,
    ConfigurationRuleWrite,
    FiredOut,
    PricedConfiguration,
    PricedLineOut,
)
from sales_service.products.repository import (
    PriceBookRepository,
    PriceRepository,
    ProductRepository,
)


class ConfigurationRuleRepository(TenantRepository[ConfigurationRule]):
    model = ConfigurationRule
    label = "configuration rule"

    async def active_in_order(self) -> list[ConfigurationRule]:
        stmt = self.select().where(ConfigurationRule.active)
        return await self.list(stmt.order_by(ConfigurationRule.position, ConfigurationRule.id))


RULES = Crud(
    ConfigurationRuleRepository,
    View("configuration_rule", ConfigurationRuleRead, path="/v1/configuration-rules"),
    ConfigurationRuleWrite,
    lifecycle_events("configuration_rule"),
)


class RuleBroken(CRMError):
    """A configuration that breaks a rule: 422 naming each rule."""

    status, type, title = 422, "configuration-rule", "The configuration breaks a rule"


async def price(call: Call, config: ConfigurationIn) -> PricedConfiguration:
    """The priced configuration and every rule that fired; :class:`RuleBroken` if the
    selection breaks one."""
    books = PriceBookRepository(call.session, call.actor)
    book = await (books.require(config.price_book_id) if config.price_book_id else books.default())
    if book is None:
        raise NotFound("The tenant has no default price book")
    products = await ProductRepository(call.session, call.actor).by_skus(
        [i.sku for i in config.items]
    )
    unknown = [
        {"field": f"items[{n}].sku", "message": "no such product"}
        for n, item in enumerate(config.items)
        if item.sku not in products
    ]
    if unknown:
        raise ValidationFailed("Unknown products", errors=unknown)
    entries = await PriceRepository(call.session, call.actor).of_book(book.id, config.currency)
    by_product = {e.product_id: e.unit_price for e in entries}
    prices: Mapping[str, Money] = {
        sku: Money.of(canonical(by_product[p.id], config.currency), config.currency)
        for sku, p in products.items()
        if p.id in by_product
    }
    rows = await ConfigurationRuleRepository(call.session, call.actor).active_in_order()
    rules = [NamedRule(r.name, RuleBody.model_validate(r.body)) for r in rows]
    selection: dict[str, Decimal] = {}
    for item in config.items:
        selection[item.sku] = selection.get(item.sku, Decimal(0)) + item.quantity
    result = evaluate(selection, prices, rules, config.currency)
    if result.errors:
        named = ", ".join(sorted({e["rule"] for e in result.errors if e["rule"]})) or "prices"
        raise RuleBroken(
            f"The configuration breaks: {named}",
            errors=[
                {
                    "field": e["field"],
                    "message": f"{e['rule']}: {e['message']}" if e["rule"] else e["message"],
                }
                for e in result.errors
            ],
        )
    return PricedConfiguration(
        currency=result.currency,
        lines=[
            PricedLineOut(
                sku=line.sku,
                product_id=products[line.sku].id,
                name=products[line.sku].name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                net=line.net or Money.zero(result.currency),
            )
            for line in result.lines
        ],
        adjustments=[
            {"label": label, "amount": amount.model_dump(mode="json")}
            for label, amount in result.adjustments
        ],
        total=result.total,
        fired=[
            FiredOut(rule=f.rule, branch=f.branch, why=f.why, effects=f.effects)
            for f in result.fired
        ],
        warnings=result.warnings,
    )
