"""A quote as a document: HTML from a sandboxed Jinja2 template (the chassis'), and PDF
drawn with fpdf2 (pure Python, installs from PyPI alone)."""

from __future__ import annotations

from typing import Any

from crm_chassis.templates import compile_template
from fpdf import FPDF

from sales_service.quotes.models import Quote

HTML = compile_template(
    """<!doctype html>
<html><head><meta charset="utf-8"><title>Quote {{ quote.number }}</title></head>
<body>
<h1>Quote {{ quote.number }} (revision {{ quote.revision }})</h1>
<p>{{ quote.title | default("") }}</p>
<p>Valid until: {{ quote.valid_until | default("no date") }}</p>
<table>
<thead><tr><th>Item</th><th>Qty</th><th>Unit price</th><th>Discount</th><th>Net</th>
<th>Tax</th><th>Total</th></tr></thead>
<tbody>
{% for line in quote.lines %}<tr><td>{{ line.name }}</td><td>{{ line.quantity }}</td>
<td>{{ line.unit_price.amount }}</td><td>{{ line.discount.amount }}</td>
<td>{{ line.net.amount }}</td><td>{{ line.tax.amount }}</td><td>{{ line.total.amount }}</td></tr>
{% endfor %}</tbody>
</table>
<p>Subtotal: {{ quote.subtotal }} {{ quote.currency }}</p>
<p>Discount: {{ quote.discount }} {{ quote.currency }}</p>
<p>Tax: {{ quote.tax }} {{ quote.currency }}</p>
<p><strong>Total: {{ quote.total }} {{ quote.currency }}</strong></p>
<p>{{ quote.notes | default("") }}</p>
</body></html>
""",
    html=True,
)


def context(quote: Quote) -> dict[str, Any]:
    return {
        "quote": {
            "number": quote.number,
            "revision": quote.revision,
            "title": quote.title,
            "valid_until": quote.valid_until.isoformat() if quote.valid_until else None,
            "currency": quote.currency,
            "lines": quote.lines,
            "notes": quote.notes,
            "subtotal": format(quote.subtotal.amount, "f"),
            "discount": format(quote.discount.amount, "f"),
            "tax": format(quote.tax.amount, "f"),
            "total": format(quote.total.amount, "f"),
        }
    }


def html(quote: Quote) -> str:
    return HTML.render(context(quote))


def _latin(text: Any) -> str:
    # The core PDF fonts are Latin-1; anything else is shown as "?" rather than failing.
    return str(text if text is not None else "").encode("latin-1", "replace").decode("latin-1")


def pdf(quote: Quote) -> bytes:
    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", "B", 16)
    doc.cell(
        0,
        10,
        _latin(f"Quote {quote.number} (revision {quote.revision})"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.set_font("Helvetica", size=10)
    if quote.title:
        doc.cell(0, 8, _latin(quote.title), new_x="LMARGIN", new_y="NEXT")
    widths = (70, 20, 30, 30, 30)
    doc.set_font("Helvetica", "B", 10)
    for width, head in zip(widths, ("Item", "Qty", "Unit price", "Net", "Total"), strict=True):
        doc.cell(width, 8, head, border=1)
    doc.ln()
    doc.set_font("Helvetica", size=10)
    for line in quote.lines:
        cells = (
            line["name"],
            line["quantity"],
            line["unit_price"]["amount"],
            line["net"]["amount"],
            line["total"]["amount"],
        )
        for width, value in zip(widths, cells, strict=True):
            doc.cell(width, 8, _latin(value)[:40], border=1)
        doc.ln()
    doc.ln(4)
    for label, money in (
        ("Subtotal", quote.subtotal),
        ("Discount", quote.discount),
        ("Tax", quote.tax),
        ("Total", quote.total),
    ):
        doc.cell(
            0,
            7,
            f"{label}: {format(money.amount, 'f')} {quote.currency}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(doc.output())
