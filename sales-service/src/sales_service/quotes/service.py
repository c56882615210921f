"""Quote use cases (S8): priced lines, revisions, and the states draft -> sent ->
accepted / rejected / expired.

Totals are computed here from the lines, never taken from the client. Accepting a quote
replaces its deal's line items with the quote's lines, sets the deal's amount to the
quote's total and places the order, in one transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any
from uuid import UUID

from crm_chassis import jobs
from crm_chassis.auth import Actor
from crm_chassis.crud import Call, View, load_for_update
from crm_chassis.errors import Conflict, ServiceUnavailable, ValidationFailed
from crm_chassis.ids import new_id
from crm_chassis.internal_http import InternalCalls
from crm_chassis.mail import Mailer, MailRejected, MailSettings
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_chassis.resources import validate
from crm_proto.events import activity, sales
from crm_proto.money import CurrencyMismatch, Money
from sqlalchemy.ext.asyncio import AsyncSession

from sales_service.channels.service import PartnerRepository, channel_level
from sales_service.common.events import about
from sales_service.configuration import service as configurations
from sales_service.deals import events as deal_events
from sales_service.deals.models import Deal, DealLineItem
from sales_service.deals.repository import DealRepository, LineItemRepository
from sales_service.orders import service as orders
from sales_service.orders.models import Order
from sales_service.quotes import document
from sales_service.quotes.models import Quote
from sales_service.quotes.repository import QuoteRepository
from sales_service.quotes.schemas import QuoteLineIn, QuoteRead, QuoteUpdate, QuoteWrite
from sales_service.quotes.totals import LineInput, quote_totals

VIEW = View("quote", QuoteRead, path="/v1/quotes")
EXPIRY_JOB = "sales.quote.expiry"


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"field": field, "message": message}])


def price_lines(quote: Quote, lines: list[QuoteLineIn]) -> None:
    """Set ``quote``'s lines and totals from ``lines``, all in the quote's currency."""
    errors = [
        {"field": f"lines[{n}].unit_price", "message": f"must be in {quote.currency}"}
        for n, line in enumerate(lines)
        if line.unit_price.currency != quote.currency
        or (line.discount_amount is not None and line.discount_amount.currency != quote.currency)
    ]
    if errors:
        raise ValidationFailed("Every line is in the quote's currency", errors=errors)
    inputs = [
        LineInput(i.quantity, i.unit_price, i.discount_percent, i.discount_amount, i.tax_rate)
        for i in lines
    ]
    try:
        totals = quote_totals(inputs, quote.currency)
    except (ValueError, CurrencyMismatch) as exc:  # an amount too large for Money
        raise _invalid("lines", f"the amounts do not fit: {exc}") from exc
    quote.lines = [
        {
            **line.model_dump(mode="json"),
            **{
                k: getattr(t, k).model_dump(mode="json")
                for k in ("gross", "discount", "net", "tax", "total")
            },
        }
        for line, t in zip(lines, totals.lines, strict=True)
    ]
    quote.subtotal, quote.discount = totals.subtotal, totals.discount
    quote.tax, quote.total = totals.tax, totals.total


async def _lines_of_deal(call: Call, deal: Deal) -> list[QuoteLineIn]:
    items = await LineItemRepository(call.session, call.actor).of_deal(deal.id)
    return [
        QuoteLineIn(
            product_id=i.product_id,
            name=i.name,
            quantity=i.quantity,
            unit_price=i.unit_price,
            discount_percent=i.discount_percent,
            tax_rate=i.tax_rate,
        )
        for i in items
    ]


async def _lines_of_configuration(call: Call, data: QuoteWrite) -> list[QuoteLineIn]:
    """The priced configuration as quote lines; its bundle and whole-configuration
    adjustments become discounts on the lines, in order, so the totals agree."""
    assert data.configuration is not None
    priced = await configurations.price(call, data.configuration)
    zero = Money.zero(priced.currency)
    remaining = -sum((Money.model_validate(a["amount"]) for a in priced.adjustments), zero)
    lines = []
    for line in priced.lines:
        take = min(remaining, line.net)
        remaining = remaining - take
        lines.append(
            QuoteLineIn(
                product_id=line.product_id,
                name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                discount_amount=take if take.amount else None,
            )
        )
    return lines


def created_event(quote: Quote) -> Any:
    data = sales.QuoteCreated(
        quote_id=quote.id,
        deal_id=quote.deal_id,
        number=quote.number,
        revision=quote.revision,
        total=quote.total,
    )
    return about("crm.sales.quote.created.v1", quote, data)


async def create(call: Call, data: QuoteWrite) -> Quote:
    deal = await DealRepository(call.session, call.actor).require(data.deal_id)
    currency = data.currency or (deal.amount.currency if deal.amount else None)
    if currency is None:
        raise _invalid("currency", "the deal has no amount: name the quote's currency")
    if data.lines is not None and data.configuration is not None:
        raise _invalid("configuration", "give lines or a configuration, not both")
    if data.lines is not None:
        lines = data.lines
    elif data.configuration is not None:
        if data.configuration.currency != currency:
            raise _invalid("configuration.currency", f"must be {currency}")
        lines = await _lines_of_configuration(call, data)
    else:
        lines = await _lines_of_deal(call, deal)
    quote = Quote(
        id=new_id(),
        tenant_id=call.tenant_id,
        deal_id=deal.id,
        revision=1,
        title=data.title,
        notes=data.notes,
        valid_until=data.valid_until,
        currency=currency,
        state="draft",
    )
    quote.number = f"Q-{quote.id.hex[-8:].upper()}"
    price_lines(quote, lines)
    await QuoteRepository(call.session, call.actor).add(quote)
    await emit(call.session, created_event(quote))
    return quote


async def patch(call: Call, quote_id: UUID, body: Any, if_match: str | None) -> Quote:
    repo = QuoteRepository(call.session, call.actor)
    quote = await load_for_update(repo, quote_id, if_match)
    _require(quote, "draft", "changed")
    current = {
        "title": quote.title,
        "notes": quote.notes,
        "valid_until": quote.valid_until,
        "lines": quote.lines,
    }
    merged = {**current, **(body if isinstance(body, dict) else {})}
    merged["lines"] = [_written(line) for line in merged.get("lines") or []]
    update = validate(QuoteUpdate, merged)
    quote.title, quote.notes, quote.valid_until = update.title, update.notes, update.valid_until
    price_lines(quote, update.lines)
    await call.session.flush()
    return quote


async def revise(call: Call, quote_id: UUID) -> Quote:
    """A new draft revision of the quote (same number), its lines copied."""
    repo = QuoteRepository(call.session, call.actor)
    old = await repo.require(quote_id)
    revision = await repo.last_revision(old.number) + 1
    quote = Quote(
        id=new_id(),
        tenant_id=call.tenant_id,
        deal_id=old.deal_id,
        number=old.number,
        revision=revision,
        title=old.title,
        notes=old.notes,
        state="draft",
        valid_until=old.valid_until,
        currency=old.currency,
    )
    lines = [QuoteLineIn.model_validate(_written(line)) for line in old.lines]
    price_lines(quote, lines)
    await repo.add(quote)
    await emit(call.session, created_event(quote))
    return quote


def _written(line: Any) -> Any:
    """A stored line without its computed totals: what was written."""
    if not isinstance(line, dict):
        return line
    return {k: v for k, v in line.items() if k in QuoteLineIn.model_fields}


def _require(quote: Quote, state: str, action: str) -> None:
    if quote.state != state:
        raise Conflict(f"A {quote.state} quote cannot be {action}; it must be {state}")


def _decided(quote: Quote, deal: Deal) -> Any:
    data = sales.QuoteDecided(
        quote_id=quote.id,
        deal_id=quote.deal_id,
        number=quote.number,
        revision=quote.revision,
        state=quote.state,
        total=quote.total,
        contact_id=deal.contact_id,
        account_id=deal.account_id,
    )
    return about("crm.sales.quote.decided.v1", quote, data)


async def send(
    call: Call,
    quote_id: UUID,
    if_match: str | None,
    *,
    to: str | None = None,
    calls: InternalCalls | None = None,
) -> Quote:
    """Mail the quote to ``to`` (or the deal's contact) and mark it sent, in that
    transaction: a mail the relay refuses leaves it a draft."""
    quote = await load_for_update(QuoteRepository(call.session, call.actor), quote_id, if_match)
    _require(quote, "draft", "sent")
    if not quote.lines:
        raise Conflict("A quote without lines cannot be sent")
    deal = await DealRepository(call.session, call.actor).require(quote.deal_id)
    recipient = to or await _contact_email(calls, deal.contact_id)
    if recipient is None:
        raise _invalid("to", "no recipient: give one, or a deal contact with an email")
    quote.state, quote.sent_at = "sent", utcnow()
    await call.session.flush()
    if quote.valid_until is not None:
        due = datetime.combine(quote.valid_until + timedelta(days=1), time(), tzinfo=UTC)
        await jobs.schedule(
            call.session,
            kind=EXPIRY_JOB,
            due_at=due,
            tenant_id=call.tenant_id,
            payload={"quote_id": str(quote.id)},
            dedupe_key=f"quote-expiry:{quote.id}",
        )
    data = activity.QuoteSent(
        quote_id=quote.id,
        deal_id=quote.deal_id,
        number=quote.number,
        total=format(quote.total.amount, "f"),
        currency=quote.currency,
        sent_at=quote.sent_at,
        contact_id=deal.contact_id,
        account_id=deal.account_id,
    )
    await emit(
        call.session,
        about("crm.sales.quote.sent.v1", quote, data),
    )
    await mail_quote(call.settings, quote, recipient)
    return quote


async def _contact_email(calls: InternalCalls | None, contact_id: UUID | None) -> str | None:
    """The email of the contact, as contacts-service has it (sales keeps none)."""
    if calls is None or contact_id is None:
        return None
    contact = await calls.get("contacts", f"/v1/contacts/{contact_id}")
    email = contact.get("email") if isinstance(contact, dict) else None
    return email if isinstance(email, str) and email else None


async def mail_quote(settings: MailSettings, quote: Quote, recipient: str) -> None:
    """Mail ``quote`` to ``recipient``: a plain-text summary, its HTML document and its
    PDF attached. A refused recipient is a 422 on ``to``; a relay that cannot take it
    now is a 503 (the caller's transaction rolls back either way)."""
    total = f"{format(quote.total.amount, 'f')} {quote.currency}"
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = recipient
    message["Subject"] = f"Quote {quote.number} (revision {quote.revision}): {total}"
    message.set_content(f"Quote {quote.number}, revision {quote.revision}\nTotal: {total}\n")
    message.add_alternative(document.html(quote), subtype="html")
    message.add_attachment(
        document.pdf(quote),
        maintype="application",
        subtype="pdf",
        filename=f"{quote.number}-{quote.revision}.pdf",
    )
    try:
        await Mailer(settings).send(message)
    except MailRejected as exc:
        if exc.permanent:
            raise _invalid("to", f"the mail relay refused the recipient: {exc}") from exc
        raise ServiceUnavailable(f"The mail relay cannot take the quote now: {exc}") from exc


async def decide(call: Call, quote_id: UUID, state: str, if_match: str | None) -> Quote:
    """Accept or reject a sent quote; an accepted one syncs its deal and becomes an order."""
    quote = await load_for_update(QuoteRepository(call.session, call.actor), quote_id, if_match)
    _require(quote, "sent", state)
    deals = DealRepository(call.session, call.actor)
    deal = await deals.require(quote.deal_id, for_update=True)
    quote.state, quote.decided_at = state, utcnow()
    await call.session.flush()
    await jobs.cancel(call.session, tenant_id=call.tenant_id, dedupe_key=f"quote-expiry:{quote.id}")
    await emit(call.session, _decided(quote, deal))
    if state == "accepted":
        await _sync_deal(call, quote, deal)
        partner = None
        if deal.partner_id is not None:
            partner = await PartnerRepository(call.session, call.tenant_id).get(deal.partner_id)
        await orders.place(
            call,
            Order(
                id=new_id(),
                tenant_id=call.tenant_id,
                account_id=deal.account_id,
                deal_id=deal.id,
                quote_id=quote.id,
                partner_id=deal.partner_id,
                source="quote",
                channel_level=channel_level(partner),
                total=quote.total,
                lines=quote.lines,
                ordered_at=quote.decided_at,
            ),
        )
    return quote


async def _sync_deal(call: Call, quote: Quote, deal: Deal) -> None:
    items = [
        DealLineItem(
            id=new_id(),
            tenant_id=call.tenant_id,
            deal_id=deal.id,
            position=n,
            product_id=UUID(line["product_id"]) if line.get("product_id") else None,
            name=line["name"],
            quantity=line["quantity"],
            unit_price=Money.model_validate(line["unit_price"]),
            discount_percent=line["discount_percent"],
            tax_rate=line["tax_rate"],
        )
        for n, line in enumerate(quote.lines)
    ]
    await LineItemRepository(call.session, call.actor).replace(deal.id, items)
    deal.amount = quote.total
    await call.session.flush()
    await emit(call.session, deal_events.updated(deal, ["amount", "line_items"]))


async def expiry_job(session: AsyncSession, job: jobs.Job) -> None:
    """Expire the quote of this job if it is still waiting for an answer."""
    assert job.tenant_id is not None
    repo = QuoteRepository(session, Actor.system(job.tenant_id))
    quote = await repo.get(UUID(job.payload["quote_id"]), for_update=True)
    if quote is None or quote.state != "sent":
        return
    deal = await DealRepository(session, Actor.system(job.tenant_id)).require(quote.deal_id)
    quote.state, quote.decided_at = "expired", utcnow()
    await session.flush()
    await emit(session, _decided(quote, deal))
