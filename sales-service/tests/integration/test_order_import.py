"""The order import's answers (S9): each item validated on its own, with its index and one
error per field; the shape of the body; what it writes."""

from __future__ import annotations

from uuid import uuid4

from .helpers import money


def _order(external_id: str, account: str, *lines: dict, **extra) -> dict:
    return {
        "external_id": external_id,
        "account_id": account,
        "currency": "EUR",
        "lines": list(lines) or [{"name": "x", "quantity": "1", "unit_price": money("1.00")}],
        **extra,
    }


def _line(price: object, quantity: object = "1", **extra) -> dict:
    amount = price if isinstance(price, dict) else money(price)  # type: ignore[arg-type]
    return {"name": "x", "quantity": quantity, "unit_price": amount, **extra}


# (the item, the field its error names, words of the message)
BAD = [
    ({"amount": 1.5, "currency": "EUR"}, "lines.0.unit_price.amount", "not a float"),
    ({"amount": 12, "currency": "EUR"}, "lines.0.unit_price.amount", "not a JSON number"),
    ({"amount": "1e3", "currency": "EUR"}, "lines.0.unit_price.amount", "no exponent"),
    ("1.001", "lines.0.unit_price", "EUR takes at most 2 decimals"),
    ("-1.00", "lines.0.unit_price", "must not be negative"),
    ({"amount": "1.00", "currency": "ABC"}, "lines.0.unit_price.currency", "ISO 4217"),
]


async def test_each_bad_item_is_invalid_with_its_index_and_fields_and_the_rest_go_in(api):
    account = str(uuid4())
    items = [_order("good-0", account, _line("2.50", "2"))]
    items += [_order(f"bad-{n}", account, _line(price)) for n, (price, _, _) in enumerate(BAD)]
    items += [
        _order("bad-quantity", account, _line("1.00", "-2")),
        _order("bad-quantity-float", account, _line("1.00", "0.00001")),
        _order("bad-currency", account, currency="XYZ"),
        _order("bad-mixed", account, _line(money("1.00", "USD"))),
        _order("bad-indirect", account, channel_level="1-level"),
        _order("bad-extra", account, colour="red"),
        _order("bad-line-extra", account, _line("1.00", discount="5")),
        {"account_id": account, "currency": "EUR", "lines": []},
        "not an order",
        _order("good-0", account),  # twice in this batch
        _order("good-last", account, _line("0.10", "3")),
    ]
    response = await api.post("/v1/orders/batch", json={"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["data"]
    assert [r["index"] for r in results] == list(range(len(items)))
    statuses = [r["status"] for r in results]
    assert statuses == ["created"] + ["invalid"] * (len(items) - 2) + ["created"]

    def errors(index: int) -> dict[str, str]:
        return {e["field"]: e["message"] for e in results[index]["errors"]}

    for n, (_, field, words) in enumerate(BAD, start=1):
        assert field in errors(n) and words in errors(n)[field], (n, errors(n))
    rest = len(BAD) + 1
    assert "greater than 0" in errors(rest)["lines.0.quantity"]
    assert "decimal places" in errors(rest + 1)["lines.0.quantity"]
    assert "ISO 4217" in errors(rest + 2)["currency"]
    assert "every line is priced in EUR" in errors(rest + 3)["body"]
    assert "names its partner_id" in errors(rest + 4)["body"]
    assert errors(rest + 5) == {"colour": "unknown field"}
    assert errors(rest + 6) == {"lines.0.discount": "unknown field"}
    assert set(errors(rest + 7)) == {"external_id", "lines"}
    assert list(errors(rest + 8)) == ["body"]
    assert errors(rest + 9) == {"external_id": "twice in this batch"}
    ledger = (await api.get(f"/v1/ledgers/{account}")).json()
    assert [e["debit"] for e in ledger["data"]] == ["5.0000", "0.3000"]
    assert ledger["balances"] == {"EUR": "5.3000"}
    first = (await api.get(f"/v1/orders/{results[0]['id']}")).json()
    last = (await api.get(f"/v1/orders/{results[-1]['id']}")).json()
    assert [line["unit_price"]["amount"] for line in first["lines"]] == ["2.50"]
    assert last["lines"] == [
        {"sku": None, "name": "x", "quantity": "3", "unit_price": money("0.10")}
    ]


async def test_a_body_that_is_not_a_list_of_at_most_1000_orders_is_a_422(api):
    account = str(uuid4())
    for body in ([], {"orders": []}, {"items": {}}, {"items": "x"}, "items"):
        response = await api.post("/v1/orders/batch", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == "items"
    too_many = [_order(f"many-{n}", account) for n in range(1001)]
    response = await api.post("/v1/orders/batch", json={"items": too_many})
    assert response.status_code == 422 and "at most 1000" in response.text
    assert (await api.get(f"/v1/ledgers/{account}")).json()["data"] == []


async def test_an_import_ignores_other_keys_of_the_body_and_strips_its_text(api):
    account = str(uuid4())
    item = _order("  shop-strip  ", account, _line("1.00", name="  Widget ", sku=None))
    response = await api.post("/v1/orders/batch", json={"items": [item], "source": "shop"})
    assert response.status_code == 200, response.text
    (result,) = response.json()["data"]
    assert result["status"] == "created" and result["external_id"] == "shop-strip"
    order = (await api.get(f"/v1/orders/{result['id']}")).json()
    assert order["lines"] == [
        {"sku": None, "name": "Widget", "quantity": "1", "unit_price": money("1.00")}
    ]
    assert order["total"] == money("1.00") and order["source"] == "import"
    empty = await api.post("/v1/orders/batch", json={"items": []})
    assert empty.status_code == 200 and empty.json() == {"data": []}


async def test_an_order_whose_total_does_not_fit_an_amount_is_invalid_on_its_own(api):
    account = str(uuid4())
    huge = _line("999999999999999.99", "99999999")  # each valid, their product is not
    items = [_order("fits", account), _order("too-big", account, huge, huge)]
    items.append(_order("at-the-edge", account, _line("999999999999.99", "1000")))  # 15 digits
    response = await api.post("/v1/orders/batch", json={"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["data"]
    assert [r["status"] for r in results] == ["created", "invalid", "created"]
    (error,) = results[1]["errors"]
    assert error["field"] == "lines" and "15 digits" in error["message"], error
    balances = (await api.get(f"/v1/ledgers/{account}")).json()["balances"]
    assert balances == {"EUR": "999999999999991.0000"}
