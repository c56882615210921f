"""Contact search benchmark (C5): latency of realistic searches at 1,000,000 contacts.

    python bench/search.py [--rows 1000000] [--requests 300] [--explain]

Starts its own embedded PostgreSQL in a temporary directory, migrates a contacts
database, loads ``--rows`` synthetic contacts for one tenant with COPY (derived columns
filled as the service fills them), VACUUM ANALYZE, then runs the contacts app under
uvicorn on a free loopback port and sends each search shape ``--requests`` times, one
request at a time, through real HTTP. Prints p50/p99 per shape and overall next to a raw
baseline measured in the same run (a primary-key lookup with raw asyncpg), as ratios.
``--explain`` also prints EXPLAIN ANALYZE of the SQL each shape runs. Everything it starts
is stopped and its directory removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from app_server import api_only  # the sibling module, as bench scripts import them

ROOT = Path(__file__).resolve().parents[1]
ALEMBIC_INI = ROOT / "alembic.ini"  # its [contacts] section
HOST = "127.0.0.1"
JWT_SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
TARGET_P99_MS = 50.0
BASELINE = "baseline: raw asyncpg by id"
BATCH = 25_000
TENANT = UUID("0190d6a4-0000-7000-8000-00000000be4c")

# Production-like server settings for a 24 GiB machine (the defaults are for a laptop).
SERVER_SETTINGS = {
    "shared_buffers": "2GB",
    "effective_cache_size": "12GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "1GB",
    "random_page_cost": "1.1",
    "max_wal_size": "8GB",
}

SYLLABLES = [
    "an", "bel", "cor", "dal", "en", "fer", "gal", "hal", "ir", "jon", "kel", "lan", "mor",
    "nel", "or", "pet", "quin", "ros", "sal", "tam", "ul", "ven", "wil", "xan", "yor", "zan",
    "bra", "cla", "dre", "fro", "gri", "ma", "ne", "pi", "so", "tu",
]  # fmt: skip
LIFECYCLE = {"subscriber": 20, "lead": 30, "marketing_qualified_lead": 10,
             "sales_qualified_lead": 8, "opportunity": 7, "customer": 20, "evangelist": 2,
             "other": 3}  # fmt: skip
TAGS = ["vip", "newsletter", "partner", "event-2025", "webinar", "trial", "churn-risk",
        "enterprise", "smb", "referral"] + [f"segment-{i}" for i in range(40)]  # fmt: skip
TAG_WEIGHTS = [2, 30, 5, 8, 10, 6, 3, 7, 12, 4] + [1] * 40
CUSTOM_FIELDS = [
    ("tier", "enum", ["bronze", "silver", "gold"]),
    ("score", "number", []),
    ("renewal", "date", []),
    ("newsletter_opt", "bool", []),
]
COLUMNS = ["id", "tenant_id", "version", "first_name", "last_name", "title", "company",
           "email", "phone", "emails", "phones", "addresses", "email_keys", "phone_keys",
           "owner_id", "lifecycle_stage", "do_not_contact", "consent", "membership_level",
           "member_since", "tags", "custom", "search_text", "created_at",
           "updated_at"]  # fmt: skip


# -- synthetic data ------------------------------------------------------------------------


class Population:
    """Deterministic name, company and phone pools."""

    def __init__(self, rng: random.Random) -> None:
        def word(n: int) -> str:
            return "".join(rng.choice(SYLLABLES) for _ in range(n)).capitalize()

        self.first = sorted({word(2) for _ in range(3000)})
        self.last = sorted({word(rng.choice((2, 3))) for _ in range(60_000)})
        self.companies = sorted(
            {word(2) + rng.choice((" Labs", " Ltd", " Inc", "")) for _ in range(8000)}
        )
        self.owners = [uuid4() for _ in range(40)]
        self.titles = ["CEO", "CTO", "Buyer", "Engineer", "Head of Sales", "Analyst", "Manager"]


def phone_of(i: int) -> tuple[str, str]:
    """(national format, E.164) of the i-th synthetic US number; unique per i."""
    n = 2_012_000_000 + i * 7
    digits = str(n)
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}", "+1" + digits


def contact_row(i: int, rng: random.Random, pop: Population, now: datetime) -> tuple[Any, ...]:
    from contacts_service.contacts.derive import search_text
    from crm_chassis.ids import new_id

    first = rng.choice(pop.first)
    last = rng.choice(pop.last) if rng.random() < 0.97 else None
    company = rng.choice(pop.companies) if rng.random() < 0.7 else None
    domain = (company or "mail").split()[0].lower() + ".example"
    emails = [f"{first.lower()}.{(last or 'x').lower()}{i}@{domain}"]
    if rng.random() < 0.2:
        emails.append(f"{first.lower()}{i}@home.example")
    phones: list[dict[str, Any]] = []
    if rng.random() < 0.8:
        national, e164 = phone_of(i)
        phones.append({"number": national, "label": "work", "primary": True, "e164": e164})
        if rng.random() < 0.1:
            national, e164 = phone_of(i + 5_000_000)
            phones.append({"number": national, "label": "mobile", "primary": False, "e164": e164})
    tags = set(rng.choices(TAGS, TAG_WEIGHTS, k=rng.choice((0, 1, 1, 2, 3))))
    if rng.random() < 0.01:  # the long tail: 200 event tags of ~50 contacts each
        tags.add(f"event-{rng.randrange(200)}")
    custom: dict[str, Any] = {}
    if rng.random() < 0.6:
        custom["tier"] = rng.choices(["bronze", "silver", "gold"], [6, 3, 1])[0]
    if rng.random() < 0.8:
        custom["score"] = rng.randint(0, 100)
    if rng.random() < 0.4:
        custom["renewal"] = (date(2026, 1, 1) + timedelta(days=rng.randint(0, 730))).isoformat()
    if rng.random() < 0.3:
        custom["newsletter_opt"] = rng.random() < 0.5
    member = rng.random() < 0.3
    # Rows arrive in creation order, as in a live table: ~90 s apart, newest last.
    created = now - timedelta(seconds=(10_000_000 - i) * 90 + rng.randint(0, 89))
    phone_keys = sorted(p["e164"] for p in phones)
    row = {
        "first_name": first,
        "last_name": last,
        "company": company,
        "email_keys": emails,
        "phone_keys": phone_keys,
    }
    return (
        new_id(), TENANT, 1, first, last,
        rng.choice(pop.titles) if rng.random() < 0.5 else None, company,
        emails[0], phones[0]["e164"] if phones else None,
        json.dumps([{"email": e, "label": None, "primary": k == 0} for k, e in enumerate(emails)]),
        json.dumps(phones), "[]", emails, phone_keys,
        rng.choice(pop.owners), rng.choices(list(LIFECYCLE), list(LIFECYCLE.values()))[0],
        rng.random() < 0.03,
        json.dumps({"email": {"marketing": "granted"}} if rng.random() < 0.5 else {}),
        rng.choice(["bronze", "silver", "gold"]) if member else None,
        date(2015, 1, 1) + timedelta(days=rng.randint(0, 3650)) if member else None,
        sorted(tags), json.dumps(custom), search_text(row), created, created,
    )  # fmt: skip


_POPULATION: Population | None = None


def make_batch(seed: int, start: int, stop: int) -> list[tuple[Any, ...]]:
    """Rows ``start..stop``: the same data for the same seed, whichever process makes it."""
    global _POPULATION
    if _POPULATION is None:
        _POPULATION = Population(random.Random(seed))
    rng = random.Random(seed * 1_000_003 + start)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    return [contact_row(i, rng, _POPULATION, now) for i in range(start, stop)]


async def load(url: str, rows: int, seed: int) -> None:
    """COPY ``rows`` contacts in, with the secondary indexes built after the data.

    A child process makes the next batch while this one is copied.
    """
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        for key, type_, options in CUSTOM_FIELDS:
            await conn.execute(
                "INSERT INTO custom_fields (id, tenant_id, version, object_type, key, label, type,"
                " options) VALUES ($1, $2, 1, 'contact', $3, $3, $4, $5)",
                uuid4(), TENANT, key, type_, options,
            )  # fmt: skip
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'contacts'"
            " AND indexname <> 'pk_contacts'"
        )
        for ix in indexes:
            await conn.execute(f'DROP INDEX "{ix["indexname"]}"')
        started = time.perf_counter()
        bounds = [(a, min(rows, a + BATCH)) for a in range(0, rows, BATCH)]
        with ProcessPoolExecutor(max_workers=1) as pool:
            pending = [pool.submit(make_batch, seed, a, b) for a, b in bounds[:2]]
            for k, (_, stop) in enumerate(bounds):
                batch = await asyncio.wrap_future(pending[k])
                if k + 2 < len(bounds):
                    pending.append(pool.submit(make_batch, seed, *bounds[k + 2]))
                await conn.copy_records_to_table("contacts", records=batch, columns=COLUMNS)
                rate = stop / (time.perf_counter() - started)
                print(f"\r  loaded {stop:,}/{rows:,} contacts ({rate:,.0f}/s)", end="", flush=True)
        print()
        started = time.perf_counter()
        for ix in indexes:
            await conn.execute(ix["indexdef"])
        print(f"  built {len(indexes)} indexes in {time.perf_counter() - started:.0f}s")
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE contacts")
        await conn.execute("VACUUM ANALYZE custom_fields")
        print(f"  VACUUM ANALYZE in {time.perf_counter() - started:.0f}s")
    finally:
        await conn.close()


# -- the shapes ------------------------------------------------------------------------------


class Samples:
    """Real values from the loaded data, to build requests that find something."""

    def __init__(self, rows: list[Any], rng: random.Random) -> None:
        self.rng = rng
        self.rows = rows
        self.ids = [r["id"] for r in rows]

    def pick(self) -> Any:
        return self.rng.choice(self.rows)


def shapes(s: Samples) -> dict[str, Callable[[], tuple[str, str, dict[str, Any] | None]]]:
    """Each shape: a function giving (method, path, JSON body) of one request."""

    def flt(field: str, op: str, value: Any) -> dict[str, Any]:
        return {"field": field, "operator": op, "value": value}

    def search(*groups: list[dict[str, Any]], **body: Any) -> tuple[str, str, dict[str, Any]]:
        return "POST", "/v1/contacts/search", {
            "filter_groups": [{"filters": g} for g in groups], "limit": 50, **body}  # fmt: skip

    def email_eq() -> Any:
        return search([flt("email", "eq", s.pick()["email"].upper())])

    def name_starts_with() -> Any:
        last = next(r["last_name"] for r in iter(s.pick, None) if r["last_name"])
        return search([flt("last_name", "starts_with", last[:4])], sort="last_name")

    def full_text() -> Any:
        r = next(r for r in iter(s.pick, None) if r["last_name"])
        words = (
            [r["first_name"], r["last_name"][:4]] if s.rng.random() < 0.5 else [r["last_name"][:5]]
        )
        return search(query=" ".join(words))

    def groups_custom() -> Any:
        return search(
            [flt("lifecycle_stage", "eq", "customer"), flt("custom.tier", "eq", "gold")],
            [flt("tags", "contains", ["vip"]), flt("custom.score", "gte", s.rng.randint(80, 95))],
        )

    def tag_lifecycle_by_last_name() -> Any:
        tag = s.rng.choice(["newsletter", "smb", "webinar", "enterprise", "partner"])
        stage = s.rng.choice(["lead", "customer", "subscriber", "opportunity"])
        return search(
            [flt("tags", "eq", tag), flt("lifecycle_stage", "eq", stage)], sort="last_name"
        )

    def rare_tag() -> Any:
        # a long-tail tag, or one nobody has (a typo): few or no matches
        tag = f"event-{s.rng.randrange(200)}" if s.rng.random() < 0.5 else "evnet-2025"
        return search([flt("tags", "eq", tag)])

    def phone_lookup() -> Any:
        r = next(r for r in iter(s.pick, None) if r["phone"])
        national = phone_of_e164(r["phone"])
        return "GET", f"/v1/contacts/lookup?phone={national}", None

    return {
        "email eq": email_eq,
        "last_name starts_with, by last_name": name_starts_with,
        "full-text query": full_text,
        "2 groups + custom fields": groups_custom,
        "tag + lifecycle, by last_name": tag_lifecycle_by_last_name,
        "rare or unknown tag": rare_tag,
        "phone lookup (screen-pop)": phone_lookup,
    }


def phone_of_e164(e164: str) -> str:
    d = e164.removeprefix("+1")
    return f"({d[:3]})%20{d[3:6]}-{d[6:]}"


# -- servers --------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres(workdir: Path) -> Iterator[str]:
    from crm_local.postgres import EmbeddedPostgres, run_sql

    pg = EmbeddedPostgres(workdir / "pg", fast=True)
    try:
        admin = pg.start()
        for name, value in SERVER_SETTINGS.items():
            run_sql(admin, f"ALTER SYSTEM SET {name} = '{value}'")
        pg.stop()
        admin = pg.start()  # shared_buffers needs a restart
        pg.create_database("bench_contacts")
        yield admin
    finally:
        pg.stop()


def app_server(db_url: str) -> contextlib.AbstractContextManager[int]:
    return api_only("contacts", db_url, JWT_SECRET)


def bench_token() -> str:
    from crm_chassis.auth import Actor, issue_token
    from crm_chassis.settings import SharedSettings

    settings = SharedSettings(jwt_secret=JWT_SECRET)
    principal = Actor(tenant_id=TENANT, user_id=UUID(int=1), scopes=frozenset({"contacts:read"}))
    return issue_token(principal, settings, ttl_seconds=3600)


# -- measuring --------------------------------------------------------------------------------


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


Call = Callable[[], Awaitable[Any]]


async def timed(
    n: int, warmup: int, send: Call, count: Callable[[Any], int]
) -> tuple[list[float], int]:
    """``n`` latencies (ms) of ``send`` after ``warmup`` calls; ``count`` tells how many
    records a reply holds, outside the timing (a client's JSON parsing is not ours)."""
    for _ in range(warmup):
        await send()
    samples, found = [], 0
    for _ in range(n):
        started = time.perf_counter()
        reply = await send()
        samples.append((time.perf_counter() - started) * 1000)
        found += count(reply)
    return samples, found


def records(response: Any) -> int:
    assert response.status_code == 200, (response.request.url, response.text)
    data = response.json()
    return len(data["data"]) if "data" in data else 1


async def measure(port: int, db_url: str, args: argparse.Namespace) -> None:
    import asyncpg
    import httpx

    rng = random.Random(args.seed + 1)
    conn = await asyncpg.connect(db_url)
    sample_rows = await conn.fetch(
        "SELECT id, first_name, last_name, email, phone FROM contacts TABLESAMPLE SYSTEM (1)"
        " LIMIT 5000"
    )
    samples = Samples(list(sample_rows), rng)
    by_id = await conn.prepare("SELECT * FROM contacts WHERE id = $1")

    async def raw() -> Any:
        return await by_id.fetchrow(rng.choice(samples.ids))

    results: dict[str, tuple[list[float], int]] = {}
    results[BASELINE] = await timed(args.requests, 50, raw, lambda row: int(row is not None))
    headers = {"Authorization": f"Bearer {bench_token()}"}
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", headers=headers,
                                 timeout=30) as client:  # fmt: skip

        async def get_by_id() -> Any:
            return await client.get(f"/v1/contacts/{rng.choice(samples.ids)}")

        async def list_page() -> Any:
            return await client.get("/v1/contacts", params={"limit": 50})

        # The HTTP stack alone, for scale: one contact, and a page of 50 (no search).
        results["ref: GET /v1/contacts/{id}"] = await timed(args.requests, 50, get_by_id, records)
        results["ref: GET /v1/contacts?limit=50"] = await timed(
            args.requests, 10, list_page, records
        )
        for name, make in shapes(samples).items():

            async def send(make: Any = make) -> Any:
                method, path, body = make()
                return await client.request(method, path, json=body)

            results[name] = await timed(args.requests, 10, send, records)
    await conn.close()
    report(results, args)


def report(results: dict[str, tuple[list[float], int]], args: argparse.Namespace) -> None:
    base = results[BASELINE][0]
    b50, b99 = pct(base, 0.5), pct(base, 0.99)
    searches = [
        x for k, (v, _) in results.items() if not k.startswith(("baseline", "ref:")) for x in v
    ]
    print(
        f"\n{args.rows:,} contacts in one tenant; {args.requests} requests per shape, one at a time"
    )
    print(
        f"{'shape':40} {'p50 ms':>8} {'p99 ms':>8} {'p50/base':>9} {'p99/base':>9} {'rows/req':>9}"
    )
    rows = [*results.items(), ("ALL SEARCHES", (searches, 0))]
    for name, (v, found) in rows:
        p50, p99 = pct(v, 0.5), pct(v, 0.99)
        per = f"{found / len(v):.1f}" if found else ""
        print(f"{name:40} {p50:8.2f} {p99:8.2f} {p50 / b50:9.1f} {p99 / b99:9.1f} {per:>9}")
    p99 = pct(searches, 0.99)
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end)")
    verdict = "met" if p99 < TARGET_P99_MS else "NOT met"
    print(f"\nsearch p99 {p99:.1f} ms, target < {TARGET_P99_MS:.0f} ms: {verdict}"
          f" (mean {statistics.fmean(searches):.2f} ms)")  # fmt: skip
    from report import print_result, result_row

    print_result(
        [
            result_row(
                "search p99, all shapes", p99, "ms", "raw asyncpg PK lookup p99", b99,
                target=f"p99 < {TARGET_P99_MS:.0f} ms", met=p99 < TARGET_P99_MS,
            ),
            result_row(
                "search p50, all shapes", pct(searches, 0.5), "ms", "raw asyncpg PK lookup p50", b50
            ),
        ]
    )  # fmt: skip


async def explain(db_url: str, args: argparse.Namespace) -> None:
    """EXPLAIN ANALYZE of the SQL each shape runs, captured from the app in-process."""
    import asyncpg
    import httpx
    from contacts_service.main import create_app
    from contacts_service.settings import ContactsSettings
    from crm_testing.service import running
    from sqlalchemy import event

    settings = ContactsSettings(database_url=db_url, run_background=False,
                                nats_url="nats://127.0.0.1:1", jwt_secret=JWT_SECRET)  # fmt: skip
    captured: list[tuple[str, Any]] = []
    conn = await asyncpg.connect(db_url.replace("+asyncpg", ""))
    rows = await conn.fetch("SELECT id, first_name, last_name, email, phone FROM contacts"
                            " TABLESAMPLE SYSTEM (1) LIMIT 500")  # fmt: skip
    samples = Samples(list(rows), random.Random(args.seed + 2))
    async with running(create_app(settings)) as app:

        def capture(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "contacts." in statement:
                captured.append((statement, params))

        event.listen(app.state.engine.sync_engine, "before_cursor_execute", capture)
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {bench_token()}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                     headers=headers) as client:  # fmt: skip
            logging.getLogger("httpx").setLevel(logging.WARNING)
            for name, make in shapes(samples).items():
                captured.clear()
                method, path, body = make()
                await client.request(method, path, json=body)
                for statement, params in captured:
                    plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + statement, *params)
                    print(f"\n== {name}: {json.dumps(body) if body else path}")
                    print("\n".join(r[0] for r in plan))
    await conn.close()


async def run(args: argparse.Namespace) -> None:
    from crm_local.migrations import alembic_upgrade
    from crm_local.postgres import database_url

    with (
        tempfile.TemporaryDirectory(prefix="crm-bench-search-") as tmp,
        postgres(Path(tmp)) as admin,
    ):
        db_url = database_url(admin, "bench_contacts")
        started = time.perf_counter()
        alembic_upgrade(ALEMBIC_INI, db_url, section="contacts")
        print(f"migrated in {time.perf_counter() - started:.0f}s; loading {args.rows:,} contacts"
              f" (load average {os.getloadavg()[0]:.1f})")  # fmt: skip
        await load(db_url.replace("+asyncpg", ""), args.rows, args.seed)
        if args.explain:
            await explain(db_url, args)
        with app_server(db_url) as port:
            await measure(port, db_url.replace("+asyncpg", ""), args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300, help="per shape")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print each shape's plan")
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
