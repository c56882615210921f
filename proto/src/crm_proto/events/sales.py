"""Events published by sales-service about its own records (besides the activity
contract in :mod:`crm_proto.events.activity`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, create_model

from crm_proto.money import Money
from crm_proto.registry import event_type


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PipelineSnapshot(_Payload):
    id: UUID
    name: str
    description: str | None = None
    is_default: bool = False
    owner_id: UUID | None = None
    team_id: UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.sales.pipeline.created.v1")
class PipelineCreated(_Payload):
    """A sales pipeline was created (S4)."""

    pipeline: PipelineSnapshot


@event_type("crm.sales.pipeline.updated.v1")
class PipelineUpdated(_Payload):
    """A pipeline changed; ``changed`` names its fields that did."""

    pipeline: PipelineSnapshot
    changed: list[str]


@event_type("crm.sales.pipeline.deleted.v1")
class PipelineDeleted(_Payload):
    """A pipeline was deleted."""

    id: UUID


# -- stages (S4) ---------------------------------------------------------------------------


class StageSnapshot(_Payload):
    id: UUID
    pipeline_id: UUID
    name: str
    position: int
    probability: int
    forecast_category: str
    is_won: bool = False
    is_lost: bool = False
    rotting_days: int | None = None
    version: int


@event_type("crm.sales.stage.created.v1")
class StageCreated(_Payload):
    """A stage was added to a pipeline (S4)."""

    stage: StageSnapshot


@event_type("crm.sales.stage.updated.v1")
class StageUpdated(_Payload):
    """A stage changed (name, order, probability, forecast category, outcome, rotting)."""

    stage: StageSnapshot
    changed: list[str]


@event_type("crm.sales.stage.deleted.v1")
class StageDeleted(_Payload):
    """A stage was deleted (only a stage no deal is in)."""

    id: UUID


# -- leads (S1-S3) -------------------------------------------------------------------------


class LeadSnapshot(_Payload):
    id: UUID
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    title: str | None = None
    website: str | None = None
    country: str | None = None
    territory: str | None = None
    source: str | None = None
    status: str
    rating: str | None = None
    estimated_value: Money | None = None
    qualification: dict[str, Any] = {}
    disqualified_reason: str | None = None
    custom: dict[str, Any] = {}
    owner_id: UUID | None = None
    team_id: UUID | None = None
    converted_at: datetime | None = None
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.sales.lead.created.v1")
class LeadCreated(_Payload):
    """A lead was captured, through the API or a web form (S1)."""

    lead: LeadSnapshot


@event_type("crm.sales.lead.updated.v1")
class LeadUpdated(_Payload):
    """A lead changed (its status included); ``changed`` names the fields."""

    lead: LeadSnapshot
    changed: list[str]


@event_type("crm.sales.lead.deleted.v1")
class LeadDeleted(_Payload):
    """A lead was deleted."""

    id: UUID


@event_type("crm.sales.lead.assigned.v1")
class LeadAssigned(_Payload):
    """Assignment rules gave a lead an owner (S2); ``rule_id`` null when none matched."""

    lead_id: UUID
    owner_id: UUID | None = None
    rule_id: UUID | None = None
    rule_name: str | None = None
    queue_id: UUID | None = None
    reasons: list[str]


class ConvertedAccount(_Payload):
    id: UUID
    existing: bool
    """True: merge into this existing account (fill only its empty fields)."""
    name: str | None = None
    website: str | None = None
    phone: str | None = None


class ConvertedContact(_Payload):
    id: UUID
    existing: bool
    """True: merge into this existing contact (fill only its empty fields)."""
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    title: str | None = None


@event_type("crm.sales.lead.converted.v1")
class LeadConverted(_Payload):
    """A lead was converted (S3). The ids are allocated by sales-service;
    contacts-service creates the account and contact with them, or fills the empty
    fields of the existing ones, once per event."""

    lead_id: UUID
    account: ConvertedAccount | None = None
    contact: ConvertedContact
    deal_id: UUID | None = None
    owner_id: UUID | None = None
    converted_at: datetime


# -- deals (S5); created and stage_changed are the activity contract -----------------------


class DealSnapshot(_Payload):
    id: UUID
    name: str
    pipeline_id: UUID
    stage_id: UUID
    amount: Money | None = None
    expected_close_date: date | None = None
    account_id: UUID | None = None
    contact_id: UUID | None = None
    lead_id: UUID | None = None
    partner_id: UUID | None = None
    probability: int
    forecast_category: str
    won: bool | None = None
    owner_id: UUID | None = None
    team_id: UUID | None = None
    version: int


@event_type("crm.sales.deal.updated.v1")
class DealUpdated(_Payload):
    """A deal changed; ``changed`` names the fields (a stage move is also
    ``deal.stage_changed.v1``)."""

    deal: DealSnapshot
    changed: list[str]


@event_type("crm.sales.deal.deleted.v1")
class DealDeleted(_Payload):
    """A deal was deleted."""

    id: UUID


@event_type("crm.sales.deal.rotting.v1")
class DealRotting(_Payload):
    """A deal has been idle in its stage longer than the stage's ``rotting_days`` (S5);
    published once per idle spell."""

    deal_id: UUID
    stage_id: UUID
    owner_id: UUID | None = None
    idle_since: datetime
    rotting_days: int


@event_type("crm.sales.deal.nurture_requested.v1")
class DealNurtureRequested(_Payload):
    """An automation rule chose not to create a task for a deal and hands it to marketing
    journeys instead (S10)."""

    deal_id: UUID
    rule_id: UUID
    contact_id: UUID | None = None
    account_id: UUID | None = None
    amount: Money | None = None


# -- products (S6) -------------------------------------------------------------------------


class ProductSnapshot(_Payload):
    id: UUID
    sku: str
    name: str
    description: str | None = None
    active: bool = True
    version: int


@event_type("crm.sales.product.created.v1")
class ProductCreated(_Payload):
    """A product was added to the catalogue (S6)."""

    product: ProductSnapshot


@event_type("crm.sales.product.updated.v1")
class ProductUpdated(_Payload):
    """A product changed."""

    product: ProductSnapshot
    changed: list[str]


@event_type("crm.sales.product.deleted.v1")
class ProductDeleted(_Payload):
    """A product was deleted."""

    id: UUID


@event_type("crm.sales.price_book.prices_set.v1")
class PriceBookPricesSet(_Payload):
    """List prices of a price book were set (S6)."""

    price_book_id: UUID
    prices: list[dict[str, Any]]


@event_type("crm.sales.exchange_rates.set.v1")
class ExchangeRatesSet(_Payload):
    """Dated exchange rates of the tenant were added or corrected (S6): each
    ``{currency, reporting_currency, valid_from, rate}`` as set."""

    rates: list[dict[str, Any]]


# -- quotes (S8); sent is the activity contract --------------------------------------------


@event_type("crm.sales.quote.created.v1")
class QuoteCreated(_Payload):
    """A quote (or a new revision of one) was drafted (S8)."""

    quote_id: UUID
    deal_id: UUID
    number: str
    revision: int
    total: Money


@event_type("crm.sales.quote.decided.v1")
class QuoteDecided(_Payload):
    """A quote was accepted, rejected or expired (S8)."""

    quote_id: UUID
    deal_id: UUID
    number: str
    revision: int
    state: str
    total: Money
    contact_id: UUID | None = None
    account_id: UUID | None = None


# -- orders and ledger (S9) ----------------------------------------------------------------


@event_type("crm.sales.order.created.v1")
class OrderCreated(_Payload):
    """An order was placed: from an accepted quote or imported (S9)."""

    order_id: UUID
    account_id: UUID | None = None
    deal_id: UUID | None = None
    quote_id: UUID | None = None
    external_id: str | None = None
    source: str
    channel_level: str
    partner_id: UUID | None = None
    total: Money
    ordered_at: datetime


@event_type("crm.sales.ledger.entry_posted.v1")
class LedgerEntryPosted(_Payload):
    """A debit or credit was posted to an account's ledger (S9)."""

    entry_id: UUID
    account_id: UUID
    kind: str
    debit: Money
    credit: Money
    balance: Money
    order_id: UUID | None = None
    corrects_id: UUID | None = None


# -- tasks (S10); completed is the activity contract ---------------------------------------


@event_type("crm.sales.task.created.v1")
class TaskCreated(_Payload):
    """A task was created, by a user or an automation rule (S10)."""

    task_id: UUID
    type: str
    title: str
    due_at: datetime | None = None
    owner_id: UUID | None = None
    deal_id: UUID | None = None
    contact_id: UUID | None = None
    account_id: UUID | None = None
    rule_id: UUID | None = None


@event_type("crm.sales.task.reminder_due.v1")
class TaskReminderDue(_Payload):
    """A task's reminder time came (S10): notifications pick it up."""

    task_id: UUID
    owner_id: UUID | None = None
    title: str
    due_at: datetime | None = None


# -- channels (S12) ------------------------------------------------------------------------


@event_type("crm.sales.deal_registration.submitted.v1")
class DealRegistrationSubmitted(_Payload):
    """A partner registered an opportunity (S12); ``conflicts_with`` names an open
    registration of another partner for the same account."""

    registration_id: UUID
    partner_id: UUID
    account_id: UUID
    status: str
    conflicts_with: UUID | None = None


# -- settings resources: rules, queues, forms, fields, quotas, partners --------------------


def _lifecycle(key: str, title: str, snapshot: type[_Payload]) -> None:
    """Register ``crm.sales.<key>.created|updated|deleted.v1`` for a settings resource
    whose snapshot is ``snapshot``: the same three shapes as every entity's, named
    ``<Name>Created``, ``<Name>Updated`` and ``<Name>Deleted`` in this module."""
    name = "".join(part.capitalize() for part in key.split("_"))
    specs: dict[str, tuple[str, dict[str, Any]]] = {
        "Created": (f"A {title} was created.", {key: (snapshot, ...)}),
        "Updated": (
            f"A {title} changed; ``changed`` names its fields that did.",
            {key: (snapshot, ...), "changed": (list[str], ...)},
        ),
        "Deleted": (f"A {title} was deleted.", {"id": (UUID, ...)}),
    }
    for kind, (doc, fields) in specs.items():
        model = create_model(f"{name}{kind}", __base__=_Payload, __doc__=doc, **fields)  # type: ignore[call-overload,unused-ignore]
        model.__module__ = __name__
        globals()[model.__name__] = event_type(f"crm.sales.{key}.{kind.lower()}.v1")(model)


class AssignmentRuleSnapshot(_Payload):
    id: UUID
    name: str
    position: int
    conditions: list[dict[str, Any]]
    owner_id: UUID | None = None
    queue_id: UUID | None = None
    active: bool
    version: int


class AssignmentQueueSnapshot(_Payload):
    id: UUID
    name: str
    members: list[UUID]
    unavailable: list[UUID]
    version: int


class LeadFieldSnapshot(_Payload):
    id: UUID
    key: str
    label: str
    kind: str
    options: list[str]
    version: int


class WebFormSnapshot(_Payload):
    id: UUID
    name: str
    source: str
    per_minute: int
    version: int


class ConfigurationRuleSnapshot(_Payload):
    id: UUID
    name: str
    position: int
    body: dict[str, Any]
    active: bool
    version: int


class PriceBookSnapshot(_Payload):
    id: UUID
    name: str
    is_default: bool
    version: int


class QuotaSnapshot(_Payload):
    id: UUID
    owner_id: UUID
    period: str
    amount: Money
    version: int


class PartnerSnapshot(_Payload):
    id: UUID
    account_id: UUID
    name: str
    type: str
    tier: str
    level: int
    parent_id: UUID | None = None
    version: int


class TaskRuleSnapshot(_Payload):
    id: UUID
    name: str
    trigger: str
    body: dict[str, Any]
    active: bool
    version: int


_lifecycle("assignment_rule", "lead assignment rule (S2)", AssignmentRuleSnapshot)
_lifecycle("assignment_queue", "lead assignment queue (S2)", AssignmentQueueSnapshot)
_lifecycle("lead_field", "custom field of leads (S1)", LeadFieldSnapshot)
_lifecycle("web_form", "lead capture web form (S1)", WebFormSnapshot)
_lifecycle("configuration_rule", "product configuration rule (S7)", ConfigurationRuleSnapshot)
_lifecycle("price_book", "price book (S6)", PriceBookSnapshot)
_lifecycle("quota", "sales quota (S11)", QuotaSnapshot)
_lifecycle("partner", "channel partner (S12)", PartnerSnapshot)
_lifecycle("task_rule", "task automation rule (S10)", TaskRuleSnapshot)


class TaskSnapshot(_Payload):
    id: UUID
    type: str
    title: str
    description: str | None = None
    due_at: datetime | None = None
    remind_at: datetime | None = None
    deal_id: UUID | None = None
    lead_id: UUID | None = None
    contact_id: UUID | None = None
    account_id: UUID | None = None
    owner_id: UUID | None = None
    team_id: UUID | None = None
    completed_at: datetime | None = None
    version: int


@event_type("crm.sales.task.updated.v1")
class TaskUpdated(_Payload):
    """A task changed (S10); ``changed`` names its fields that did."""

    task: TaskSnapshot
    changed: list[str]


@event_type("crm.sales.task.deleted.v1")
class TaskDeleted(_Payload):
    """A task was deleted."""

    id: UUID
