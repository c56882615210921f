"""Quotes (S8), configurations (S7), orders and the ledger (S9)."""

from __future__ import annotations

from uuid import uuid4

from crm_testing.service import eventually
from sqlalchemy import text

from .helpers import STANDARD_STAGES, created, money, pipeline_with_stages


async def _deal(api, **extra) -> dict:
    pipeline = await pipeline_with_stages(api, *STANDARD_STAGES[:1])
    return await created(api, "/v1/deals", {"name": "d", "pipeline_id": pipeline["id"], **extra})


def line(price: str, quantity: str = "1", currency: str = "EUR", **extra) -> dict:
    return {"name": "Item", "quantity": quantity, "unit_price": money(price, currency), **extra}


async def test_a_quote_is_priced_exactly_sent_accepted_and_becomes_an_order(api, event_capture):
    account = str(uuid4())
    deal = await _deal(api, amount=money("100.00"), account_id=account)
    quote = await created(
        api,
        "/v1/quotes",
        {
            "deal_id": deal["id"],
            "valid_until": "2030-01-31",
            "lines": [
                line("19.99", "3", discount_percent="10", tax_rate="19"),
                line("0.01", "1", discount_amount=money("5.00")),
            ],
        },
    )
    assert (quote["subtotal"], quote["discount"], quote["tax"], quote["total"]) == (
        money("59.98"),
        money("6.01"),
        money("10.25"),
        money("64.22"),
    )
    assert quote["state"] == "draft" and quote["lines"][1]["total"] == money("0.00")
    url = f"/v1/quotes/{quote['id']}"
    assert (await api.post(f"{url}/accept")).status_code == 409  # not sent yet
    sent = await api.post(f"{url}/send", json={"to": "buyer@example.com"})
    assert sent.status_code == 200 and sent.json()["state"] == "sent"
    assert (await api.patch(url, json={"title": "x"})).status_code == 409
    accepted = await api.post(f"{url}/accept")
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    synced = (await api.get(f"/v1/deals/{deal['id']}")).json()
    assert synced["amount"] == money("64.22")
    items = (await api.get(f"/v1/deals/{deal['id']}/line-items")).json()["data"]
    assert [i["unit_price"] for i in items] == [money("19.99"), money("0.01")]
    orders = (await api.get("/v1/orders")).json()["data"]
    assert [(o["quote_id"], o["total"], o["source"]) for o in orders] == [
        (quote["id"], money("64.22"), "quote")
    ]
    ledger = (await api.get(f"/v1/ledgers/{account}")).json()
    assert ledger["balances"] == {"EUR": "64.2200"}
    await event_capture.wait_for("crm.sales.quote.sent.v1")
    decided = await event_capture.wait_for("crm.sales.quote.decided.v1")
    assert decided["data"]["state"] == "accepted"
    await event_capture.wait_for("crm.sales.order.created.v1")


async def test_revisions_share_a_number_and_documents_render(api):
    deal = await _deal(api)
    quote = await created(
        api,
        "/v1/quotes",
        {
            "deal_id": deal["id"],
            "currency": "JPY",
            "title": "Café <b>",
            "lines": [line("333", "3", "JPY")],
        },
    )
    assert quote["total"] == money("999", "JPY")
    second = await created(api, f"/v1/quotes/{quote['id']}/revisions", {})
    assert (second["number"], second["revision"]) == (quote["number"], 2)
    html = await api.get(f"/v1/quotes/{quote['id']}/document.html")
    assert html.status_code == 200 and "999" in html.text and "Café &lt;b&gt;" in html.text
    pdf = await api.get(f"/v1/quotes/{quote['id']}/document.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_bad_money_in_a_quote_is_a_422_per_field_and_a_foreign_deal_a_404(api, other_api):
    deal = await _deal(api, amount=money("10.00"))
    cases = {
        "lines.0.unit_price": line("1.001"),
        "lines.0.quantity": line("1.00", "-2"),
        "lines.0.unit_price.currency": line("1.00", currency="ABC"),
    }
    for field, bad in cases.items():
        response = await api.post("/v1/quotes", json={"deal_id": deal["id"], "lines": [bad]})
        assert response.status_code == 422, (field, response.text)
        assert any(e["field"].startswith(field) for e in response.json()["errors"]), response.text
    floats = await api.post(
        "/v1/quotes",
        json={
            "deal_id": deal["id"],
            "lines": [
                {"name": "x", "quantity": "1", "unit_price": {"amount": 1.5, "currency": "EUR"}}
            ],
        },
    )
    assert floats.status_code == 422
    kwd = await api.post(
        "/v1/quotes", json={"deal_id": deal["id"], "lines": [line("1.23", currency="USD")]}
    )
    assert kwd.status_code == 422 and kwd.json()["errors"][0]["field"] == "lines[0].unit_price"
    foreign = await other_api.post(
        "/v1/quotes", json={"deal_id": deal["id"], "currency": "EUR", "lines": [line("1.00")]}
    )
    assert foreign.status_code == 404
    mine = await created(
        api, "/v1/quotes", {"deal_id": deal["id"], "currency": "EUR", "lines": [line("1.00")]}
    )
    assert (await other_api.get(f"/v1/quotes/{mine['id']}")).status_code == 404
    assert (await other_api.get(f"/v1/quotes/{mine['id']}/document.pdf")).status_code == 404


async def test_a_sent_quote_past_its_date_is_expired_by_the_job(api, sales_app, event_capture):
    deal = await _deal(api)
    quote = await created(
        api,
        "/v1/quotes",
        {
            "deal_id": deal["id"],
            "currency": "EUR",
            "valid_until": "2030-01-01",
            "lines": [line("5.00")],
        },
    )
    await api.post(f"/v1/quotes/{quote['id']}/send", json={"to": "buyer@example.com"})
    async with sales_app.state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE jobs SET due_at = now() WHERE dedupe_key = :k"),
            {"k": f"quote-expiry:{quote['id']}"},
        )

    async def expired() -> None:
        assert (await api.get(f"/v1/quotes/{quote['id']}")).json()["state"] == "expired"

    await eventually(expired)
    event = await event_capture.wait_for("crm.sales.quote.decided.v1")
    assert event["data"]["state"] == "expired"


async def test_a_configuration_is_priced_by_the_rules_and_a_broken_one_names_its_rule(api):
    book = await created(api, "/v1/price-books", {"name": "Std", "is_default": True})
    products = {
        sku: await created(api, "/v1/products", {"sku": sku, "name": sku})
        for sku in ("CAM", "LENS", "BAG")
    }
    await api.put(
        f"/v1/price-books/{book['id']}/prices",
        json=[
            {"product_id": products[s]["id"], "unit_price": money(p)}
            for s, p in (("CAM", "100.00"), ("LENS", "50.00"), ("BAG", "20.00"))
        ],
    )
    await created(
        api,
        "/v1/configuration-rules",
        {
            "name": "camera needs a lens",
            "position": 1,
            "body": {
                "if": [{"sku": "CAM", "operator": "selected"}],
                "then": [{"type": "requires", "sku": "LENS"}],
            },
        },
    )
    await created(
        api,
        "/v1/configuration-rules",
        {
            "name": "kit",
            "position": 2,
            "body": {
                "then": [
                    {"type": "bundle_price", "skus": ["CAM", "LENS"], "price": money("130.00")}
                ]
            },
        },
    )
    bad_rule = await api.post(
        "/v1/configuration-rules",
        json={"name": "x", "position": 3, "body": {"then": [{"type": "python", "code": "1"}]}},
    )
    assert bad_rule.status_code == 422
    broken = await api.post(
        "/v1/configurations/validate",
        json={"currency": "EUR", "items": [{"sku": "CAM", "quantity": "1"}]},
    )
    assert broken.status_code == 422 and "camera needs a lens" in broken.json()["detail"]
    priced = await api.post(
        "/v1/configurations/validate",
        json={
            "currency": "EUR",
            "items": [{"sku": "CAM", "quantity": "1"}, {"sku": "LENS", "quantity": "1"}],
        },
    )
    assert priced.status_code == 200, priced.text
    body = priced.json()
    assert body["total"] == money("130.00")
    assert [f["rule"] for f in body["fired"]] == ["camera needs a lens", "kit"]
    deal = await _deal(api)
    quote = await created(
        api,
        "/v1/quotes",
        {
            "deal_id": deal["id"],
            "currency": "EUR",
            "configuration": {
                "currency": "EUR",
                "items": [{"sku": "CAM", "quantity": "1"}, {"sku": "LENS", "quantity": "1"}],
            },
        },
    )
    assert quote["total"] == money("130.00")


async def test_orders_import_idempotently_per_item_and_the_ledger_runs(api, event_capture):
    account = str(uuid4())

    def order(external_id: str, price: str) -> dict:
        return {
            "external_id": external_id,
            "account_id": account,
            "currency": "EUR",
            "lines": [{"name": "x", "quantity": "2", "unit_price": money(price)}],
        }

    first = await api.post(
        "/v1/orders/batch",
        json={
            "items": [
                order("shop-1", "10.00"),
                order("shop-2", "5.50"),
                {"external_id": "bad"},
                order("shop-1", "99.00"),
            ]
        },
    )
    assert first.status_code == 200, first.text
    assert [r["status"] for r in first.json()["data"]] == [
        "created",
        "created",
        "invalid",
        "invalid",
    ]
    again = await api.post(
        "/v1/orders/batch", json={"items": [order("shop-2", "5.50"), order("shop-3", "1.00")]}
    )
    assert [r["status"] for r in again.json()["data"]] == ["existing", "created"]
    assert again.json()["data"][0]["id"] == first.json()["data"][1]["id"]
    ledger = (await api.get(f"/v1/ledgers/{account}")).json()
    assert [e["balance"] for e in ledger["data"]] == ["20.0000", "31.0000", "33.0000"]
    payment = await api.post(
        f"/v1/ledgers/{account}/entries", json={"kind": "payment", "amount": money("30.00")}
    )
    assert payment.status_code == 201 and payment.json()["balance"] == "3.0000"
    fix = await api.post(
        f"/v1/ledgers/{account}/entries",
        json={"kind": "correction", "amount": money("-3.00"), "corrects_id": payment.json()["id"]},
    )
    assert fix.status_code == 201 and fix.json()["balance"] == "0.0000"
    bad = await api.post(
        f"/v1/ledgers/{account}/entries", json={"kind": "payment", "amount": money("-1.00")}
    )
    assert bad.status_code == 422
    await event_capture.wait_for(
        "crm.sales.order.created.v1", predicate=lambda e: e["data"]["external_id"] == "shop-3"
    )
    await event_capture.wait_for("crm.sales.ledger.entry_posted.v1")


async def test_imported_orders_events_are_exactly_the_proto_models(api, event_capture):
    from crm_proto import payload_model

    account = str(uuid4())
    item = {
        "external_id": "erp-1",
        "account_id": account,
        "currency": "JPY",
        "channel_level": "2-level",
        "partner_id": str(uuid4()),
        "lines": [{"name": "x", "quantity": "3", "unit_price": money("333", "JPY")}],
        "ordered_at": "2026-03-04T05:06:07+02:00",
    }
    assert (await api.post("/v1/orders/batch", json={"items": [item]})).status_code == 200
    for type_ in ("crm.sales.order.created.v1", "crm.sales.ledger.entry_posted.v1"):
        event = await event_capture.wait_for(type_)
        model = payload_model(type_).model_validate(event["data"])  # extra fields forbidden
        assert model.model_dump(mode="json") == event["data"]
    order = (await event_capture.wait_for("crm.sales.order.created.v1"))["data"]
    assert order["total"] == money("999", "JPY") and order["channel_level"] == "2-level"
    assert order["ordered_at"] == "2026-03-04T05:06:07+02:00"


async def test_one_batch_runs_each_accounts_balance_in_order_and_its_events_say_so(
    api, event_capture
):
    first, second = str(uuid4()), str(uuid4())
    paid = await api.post(
        f"/v1/ledgers/{first}/entries", json={"kind": "payment", "amount": money("100.00")}
    )
    assert paid.status_code == 201

    def order(external_id: str, account: str, price: str) -> dict:
        return {
            "external_id": external_id,
            "account_id": account,
            "currency": "EUR",
            "lines": [
                {"name": "x", "quantity": "3", "unit_price": money(price)},
                {"name": "y", "quantity": "0.5", "unit_price": money("0.05")},  # 0.025: 0.03
            ],
        }

    batch = [order("run-1", first, "10.00"), order("run-2", second, "1.00")]
    batch += [order("run-3", first, "2.00"), order("run-4", second, "0.10")]
    response = await api.post("/v1/orders/batch", json={"items": batch})
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["data"]] == ["created"] * 4
    ledger = (await api.get(f"/v1/ledgers/{first}")).json()
    assert [e["balance"] for e in ledger["data"]] == ["-100.0000", "-69.9700", "-63.9400"]
    assert [e["debit"] for e in ledger["data"][1:]] == ["30.0300", "6.0300"]
    assert ledger["balances"] == {"EUR": "-63.9400"}
    other = (await api.get(f"/v1/ledgers/{second}")).json()
    assert [e["balance"] for e in other["data"]] == ["3.0300", "3.3600"]
    posted = await event_capture.wait_for(
        "crm.sales.ledger.entry_posted.v1",
        predicate=lambda e: (
            e["data"]["account_id"] == second and e["data"]["balance"]["amount"] == "3.36"
        ),
    )
    assert posted["data"]["debit"] == money("0.33")
    created_ = await event_capture.wait_for(
        "crm.sales.order.created.v1", predicate=lambda e: e["data"]["external_id"] == "run-3"
    )
    assert created_["data"]["total"] == money("6.03")


async def test_two_batches_of_the_same_orders_at_once_create_each_order_once(api):
    import asyncio

    account = str(uuid4())
    items = [
        {
            "external_id": f"twice-{n}",
            "account_id": account,
            "currency": "EUR",
            "lines": [{"name": "x", "quantity": "1", "unit_price": money("1.00")}],
        }
        for n in range(50)
    ]
    answers = await asyncio.gather(
        api.post("/v1/orders/batch", json={"items": items}),
        api.post("/v1/orders/batch", json={"items": items[::-1]}),
    )
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    one, two = ({r["external_id"]: r for r in a.json()["data"]} for a in answers)
    for key in one:
        assert {one[key]["status"], two[key]["status"]} == {"created", "existing"}
        assert one[key]["id"] == two[key]["id"]
    ledger = (await api.get(f"/v1/ledgers/{account}")).json()
    assert len(ledger["data"]) == 50 and ledger["balances"] == {"EUR": "50.0000"}


async def test_an_order_batch_that_is_not_json_is_a_400_problem(api):
    response = await api.post(
        "/v1/orders/batch", content=b'{"items": [', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_sending_a_quote_mails_its_document_to_the_recipient(api, smtp_sink):
    import email
    from email import policy

    deal = await _deal(api)
    quote = await created(
        api,
        "/v1/quotes",
        {"deal_id": deal["id"], "currency": "EUR", "lines": [line("12.50", "2"), line("0.99")]},
    )
    url = f"/v1/quotes/{quote['id']}"
    unknown = await api.post(f"{url}/send")  # no recipient given, and the deal has no contact
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "to"
    bad = await api.post(f"{url}/send", json={"to": "not an address"})
    assert bad.status_code == 422
    assert (await api.get(url)).json()["state"] == "draft"
    sent = await api.post(f"{url}/send", json={"to": "buyer@example.com"})
    assert sent.status_code == 200, sent.text
    (received,) = await smtp_sink.wait_for(1)
    message = email.message_from_bytes(received.as_bytes(), policy=policy.default)
    assert message["To"] == "buyer@example.com"
    assert quote["number"] in message["Subject"]
    html = message.get_body(preferencelist=("html",)).get_content()
    assert quote["number"] in html and "25.99" in html
    assert "25.99 EUR" in message.get_body(preferencelist=("plain",)).get_content()
    (pdf,) = list(message.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content().startswith(b"%PDF")


async def test_a_quote_the_relay_refuses_stays_a_draft(api, smtp_sink):
    deal = await _deal(api)
    quote = await created(
        api, "/v1/quotes", {"deal_id": deal["id"], "currency": "EUR", "lines": [line("1.00")]}
    )
    smtp_sink.reject("gone@example.com", 550)
    refused = await api.post(f"/v1/quotes/{quote['id']}/send", json={"to": "gone@example.com"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "to"
    assert (await api.get(f"/v1/quotes/{quote['id']}")).json()["state"] == "draft"
