"""``crm demo``: a realistic demo tenant, loaded through the public API with progress.

Seeded Faker data, so two runs make the same tenant: accounts and their contacts (through
the batch API), leads from several sources, two pipelines with deals moved through their
stages (stage history, won and lost), products, support tickets with replies and status
changes (SLA history), and a marketing segment with an email campaign sent to the local
SMTP sink. Every section reports what it made; a section the platform refuses is shown
with the problem and the next one goes on.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from faker import Faker
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crm_cli.client import problem_text

SOURCES = ["web form", "referral", "event", "partner", "cold call", "paid search"]
COUNTRIES = ["GB", "DE", "FR", "US", "NL", "ES", "SE"]


@dataclass(frozen=True)
class Size:
    accounts: int
    contacts_per_account: int
    leads: int
    deals: int
    tickets: int


SIZES = {
    "small": Size(accounts=50, contacts_per_account=4, leads=60, deals=40, tickets=30),
    "full": Size(accounts=1000, contacts_per_account=4, leads=1500, deals=800, tickets=600),
}


@dataclass
class Demo:
    """The loader's state: the client, the data generator and what was made."""

    http: httpx.Client
    fake: Faker
    size: Size
    progress: Progress
    made: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    account_ids: list[str] = field(default_factory=list)
    contact_ids: list[str] = field(default_factory=list)

    def call(self, what: str, method: str, path: str, **kw: Any) -> Any:
        """The JSON of a 2xx answer, or None with the problem kept (at most a few)."""
        response = self.http.request(method, path, **kw)
        if response.status_code >= 300:
            self.refused(f"{what}: {method} {path}: {problem_text(response)}")
            return None
        self.made[what] += 1
        return response.json() if response.content else {}

    def refused(self, problem: str) -> None:
        """Keep a refusal to show (the first of each kind)."""
        kind = problem.split(":", 1)[0]
        if not any(p.startswith(kind + ":") for p in self.problems):
            self.problems.append(problem)

    def steps(self, label: str, total: int) -> Iterator[int]:
        task = self.progress.add_task(label, total=total)
        for i in range(total):
            yield i
            self.progress.advance(task)


def accounts_and_contacts(demo: Demo) -> None:
    fake, size = demo.fake, demo.size
    for _ in demo.steps("accounts and contacts", size.accounts):
        company = fake.unique.company()
        account = demo.call(
            "accounts",
            "POST",
            "/v1/accounts",
            json={
                "name": company,
                "industry": fake.bs().split()[-1][:120],
                "domain": f"{fake.unique.domain_word()}.example",
                "employees": random.randint(5, 5000),
            },
        )
        if account is None:
            continue
        demo.account_ids.append(account["id"])
        people = [_person(fake, account["id"], company) for _ in range(size.contacts_per_account)]
        result = demo.call("contact batches", "POST", "/v1/contacts/batch", json={"items": people})
        for item in (result or {}).get("results", []):
            if item.get("id"):
                demo.contact_ids.append(item["id"])
                demo.made["contacts"] += 1


def _person(fake: Faker, account_id: str, company: str) -> dict[str, Any]:
    first, last = fake.first_name(), fake.last_name()
    consent = random.choice(["granted", "granted", "denied"])
    return {
        "first_name": first,
        "last_name": last,
        "title": fake.job()[:200],
        "company": company,
        "email": f"{first}.{last}.{fake.unique.random_int(1, 10**9)}@example.com".lower(),
        "account_id": account_id,
        "lifecycle_stage": random.choice(["lead", "customer", "marketing_qualified_lead"]),
        "consent": {"email": {"marketing": consent}},
        "tags": random.sample(["vip", "beta", "eu", "partner"], 1),
    }


def leads(demo: Demo) -> None:
    fake = demo.fake
    for _ in demo.steps("leads", demo.size.leads):
        value = Decimal(random.randrange(500, 90_000)).quantize(Decimal("1"))
        demo.call(
            "leads",
            "POST",
            "/v1/leads",
            json={
                "first_name": fake.first_name(),
                "last_name": fake.last_name(),
                "email": fake.unique.email(),
                "company": fake.company(),
                "country": random.choice(COUNTRIES),
                "source": random.choice(SOURCES),
                "status": random.choice(["new", "new", "working", "qualified"]),
                "rating": random.choice(["hot", "warm", "cold"]),
                "estimated_value": {"amount": str(value), "currency": "EUR"},
            },
        )


PIPELINES = {
    "New business": [
        ("Qualify", 10, "pipeline"),
        ("Discovery", 25, "pipeline"),
        ("Proposal", 50, "best_case"),
        ("Negotiation", 75, "commit"),
    ],
    "Renewals": [("Due", 40, "pipeline"), ("Quoted", 70, "best_case"), ("Agreed", 90, "commit")],
}


def deals(demo: Demo) -> None:
    pipelines: list[tuple[str, list[str], str, str]] = []
    for name, stages in PIPELINES.items():
        pipeline = demo.call("pipelines", "POST", "/v1/pipelines", json={"name": name})
        if pipeline is None:
            return
        ids = []
        rows = [*stages, ("Won", 100, "closed"), ("Lost", 0, "omitted")]
        for position, (stage, probability, category) in enumerate(rows):
            body = {
                "pipeline_id": pipeline["id"],
                "name": stage,
                "position": position,
                "probability": probability,
                "forecast_category": category,
                "is_won": stage == "Won",
                "is_lost": stage == "Lost",
                "rotting_days": 21 if stage not in ("Won", "Lost") else None,
            }
            created = demo.call("stages", "POST", "/v1/stages", json=body)
            if created:
                ids.append(created["id"])
        if len(ids) < 3:
            return
        pipelines.append((pipeline["id"], ids[:-2], ids[-2], ids[-1]))
    for _ in demo.steps("deals and their stage history", demo.size.deals):
        pipeline_id, open_stages, won, lost = random.choice(pipelines)
        amount = Decimal(random.randrange(1_000, 250_000))
        deal = demo.call(
            "deals",
            "POST",
            "/v1/deals",
            json={
                "name": f"{demo.fake.catch_phrase()[:200]}",
                "pipeline_id": pipeline_id,
                "stage_id": open_stages[0],
                "amount": {"amount": str(amount), "currency": "EUR"},
                "expected_close_date": demo.fake.date_between("-60d", "+120d").isoformat(),
                "account_id": random.choice(demo.account_ids) if demo.account_ids else None,
            },
        )
        if deal is None:
            continue
        path = random.choice([open_stages[1:], [*open_stages[1:], won], [*open_stages[1:2], lost]])
        etag = f'"{deal["version"]}"'
        for stage_id in path[: random.randint(0, len(path))]:
            moved = demo.http.patch(
                f"/v1/deals/{deal['id']}",
                json={"stage_id": stage_id},
                headers={"if-match": etag, "content-type": "application/merge-patch+json"},
            )
            if moved.status_code != 200:
                demo.refused(f"deal moves: {problem_text(moved)}")
                break
            etag = moved.headers.get("etag", etag)
            demo.made["stage changes"] += 1


def products(demo: Demo) -> None:
    catalogue = [
        ("CRM-SEAT", "CRM seat (annual)"),
        ("CRM-ANALYTICS", "Analytics add-on"),
        ("ONBOARD", "Onboarding package"),
        ("SUPPORT-PREM", "Premium support"),
    ]
    for sku, name in catalogue:
        demo.call("products", "POST", "/v1/products", json={"sku": sku, "name": name})


def tickets(demo: Demo) -> None:
    fake = demo.fake
    for _ in demo.steps("tickets with replies", demo.size.tickets):
        ticket = demo.call(
            "tickets",
            "POST",
            "/v1/tickets",
            json={
                "subject": fake.sentence(nb_words=6)[:500],
                "description": fake.paragraph(),
                "channel": random.choice(["email", "web", "phone", "chat"]),
                "priority": random.choice(["low", "normal", "normal", "high", "urgent"]),
                "type": random.choice(["question", "incident", "problem", "task"]),
                "requester_id": random.choice(demo.contact_ids) if demo.contact_ids else None,
            },
        )
        if ticket is None:
            continue
        for status in random.choice([["open"], ["open", "pending"], ["open", "solved"]]):
            demo.call(
                "ticket replies",
                "POST",
                f"/v1/tickets/{ticket['id']}/messages",
                json={"body": fake.paragraph(), "public": True, "status": status},
            )


def campaign(demo: Demo) -> None:
    segment = demo.call(
        "segments",
        "POST",
        "/v1/segments",
        json={
            "name": "VIP contacts",
            "rule": {"tag": "vip"},
        },
    )
    if segment is None:
        return
    created = demo.call(
        "campaigns",
        "POST",
        "/v1/campaigns",
        json={
            "name": "Autumn product update",
            "segment_id": segment["id"],
            "subject": "What's new, {{ contact.first_name | default('there') }}",
            "html": "<p>Hi {{ contact.first_name | default('there') }},</p>"
            "<p><a href='https://example.com/news'>See what is new</a></p>",
        },
    )
    if created is not None:
        demo.call("campaigns sent", "POST", f"/v1/campaigns/{created['id']}/schedule", json={})


SECTIONS: list[tuple[str, Callable[[Demo], None]]] = [
    ("contacts", accounts_and_contacts),
    ("sales", leads),
    ("sales", products),
    ("sales", deals),
    ("support", tickets),
    ("marketing", campaign),
]


def load(http: httpx.Client, *, size: str = "small", seed: int = 42) -> Demo:
    """Load the demo tenant through ``http`` (a client of the gateway with a token)."""
    Faker.seed(seed)
    random.seed(seed)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as progress:
        demo = Demo(http=http, fake=Faker(), size=SIZES[size], progress=progress)
        for _, section in SECTIONS:
            section(demo)
    return demo
