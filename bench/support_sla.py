"""support-service benchmark (V5, V1): SLA due-date computations per second, and the
ticket list p99 of an agent's queue at 1,000,000 tickets.

    python bench/support_sla.py [--tickets 100000] [--rows 1000000] [--requests 300]

Part 1 runs on one core in this process: ``--tickets`` tickets spread over five business
calendars with public holidays (DE, US-NY, JP, GB, AU-NSW), each with a random opening
instant in 2026-2027 and a random target; it times the due instant of each (the clock's
``add``, as the SLA engine calls it) and, separately, a whole clock computation from a
typical history (open, reply, pending, reopen, 4 metrics). The baseline is the same
tickets' due instants in calendar hours (a plain addition).

Part 2 starts its own embedded PostgreSQL, migrates a support database, loads ``--rows``
tickets for one tenant in 20 queues with SQL, runs the app under uvicorn and asks for the
first page of one queue's unsolved tickets ``--requests`` times through real HTTP; p50 and
p99 beside a raw asyncpg primary-key lookup. ``--rows 0`` skips it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from app_server import api_only  # the sibling modules, as bench scripts import them
from report import print_result, result_row

ROOT = Path(__file__).resolve().parents[1]
ALEMBIC_INI = ROOT / "alembic.ini"
HOST = "127.0.0.1"
JWT_SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
TENANT = UUID("0190d6a4-0000-7000-8000-00000000be4d")
TARGET_PER_SECOND = 200_000
TARGET_P99_MS = 50.0
CALENDARS = [
    ("Europe/Berlin", "DE", None),
    ("America/New_York", "US", "NY"),
    ("Asia/Tokyo", "JP", None),
    ("Europe/London", "GB", None),
    ("Australia/Sydney", "AU", "NSW"),
]
TARGET_MINUTES = [30, 60, 120, 240, 480, 960, 1920, 2880]


# -- part 1: the clock --------------------------------------------------------------------


def clock_rates(tickets: int, seed: int) -> tuple[float, float]:
    """Due instants per second in business calendars, and plain datetime additions per
    second of the same tickets (the baseline)."""
    from support_service.sla.calendar import CALENDAR_HOURS, BusinessCalendar, to_us, weekly_hours
    from support_service.sla.clock import Opened, Replied, StatusChanged, Target, Targeted, compute

    hours = weekly_hours({d: [("09:00", "12:30"), ("13:30", "18:00")]
                          for d in ("mon", "tue", "wed", "thu", "fri")})  # fmt: skip
    calendars = [BusinessCalendar(tz, hours, country=c, subdivision=s) for tz, c, s in CALENDARS]
    rng = random.Random(seed)
    base = to_us(datetime(2026, 1, 1, tzinfo=UTC))
    year = 365 * 86_400 * 1_000_000
    work = [
        (rng.choice(calendars), base + rng.randrange(2 * year),
         rng.choice(TARGET_MINUTES) * 60_000_000)
        for _ in range(tickets)
    ]  # fmt: skip
    for cal in calendars:  # build each timeline once, as a running service has
        cal.add(base, 1)
        cal.add(base + 2 * year, 1)

    def timed(fn: object) -> float:
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        return time.perf_counter() - started

    def dues() -> None:
        for cal, start, target in work:
            cal.add(start, target)

    def calendar_hours() -> None:
        for _, start, target in work:
            CALENDAR_HOURS.add(start, target)

    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    plain = [(epoch + timedelta(microseconds=s), timedelta(microseconds=t)) for _, s, t in work]

    def datetimes() -> None:
        for start, target in plain:
            start + target  # the addition is what is timed

    business = min(timed(dues) for _ in range(3))
    baseline = min(timed(datetimes) for _ in range(3))
    calendar = min(timed(calendar_hours) for _ in range(3))
    rate = tickets / business
    verdict = "met" if rate >= TARGET_PER_SECOND else "NOT met"
    print(
        f"due instants, business calendars with holidays: {rate:,.0f}/s on one core "
        f"({tickets:,} tickets in {business:.3f}s); target >= {TARGET_PER_SECOND:,}/s: {verdict}"
    )
    print(f"baseline, plain datetime + timedelta: {tickets / baseline:,.0f}/s; "
          f"calendar hours through the clock: {tickets / calendar:,.0f}/s; "
          f"business / baseline time: {business / baseline:.1f}x")  # fmt: skip

    histories = []
    for cal, start, target in work[: min(tickets, 20_000)]:
        at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=start)
        targets = {
            m: Target(target // 1_000_000, cal, frozenset({"pending", "on-hold"}))
            for m in ("first_reply", "next_reply", "periodic_update", "resolution")
        }
        histories.append((at + timedelta(days=3), [
            Opened(at), Targeted(at, targets, "p"), Replied(at + timedelta(hours=1), "agent"),
            StatusChanged(at + timedelta(hours=1), "pending"),
            Replied(at + timedelta(hours=20), "customer"),
            StatusChanged(at + timedelta(hours=20), "open"),
        ]))  # fmt: skip
    elapsed = timed(lambda: [compute(h, now) for now, h in histories])
    print(
        f"whole clock from history (4 metrics, 6 entries): {len(histories) / elapsed:,.0f} "
        f"tickets/s on one core"
    )
    return rate, tickets / baseline


# -- part 2: the agent's queue ------------------------------------------------------------


@contextlib.contextmanager
def postgres(workdir: Path) -> Iterator[str]:
    from crm_local.postgres import EmbeddedPostgres, run_sql

    pg = EmbeddedPostgres(workdir / "pg", fast=True)
    try:
        admin = pg.start()
        for name, value in {"shared_buffers": "1GB", "random_page_cost": "1.1",
                            "max_wal_size": "8GB", "work_mem": "32MB"}.items():  # fmt: skip
            run_sql(admin, f"ALTER SYSTEM SET {name} = '{value}'")
        pg.stop()
        admin = pg.start()
        pg.create_database("bench_support")
        yield admin
    finally:
        pg.stop()


LOAD = """
INSERT INTO tickets (id, tenant_id, version, created_at, updated_at, owner_id, team_id, number,
                     subject, channel, priority, type, status, queue_id, tags, custom)
SELECT gen_random_uuid(), $1, 1, ts, ts, NULL, NULL, n, 'Ticket ' || n,
       (ARRAY['email','phone','chat','web','portal'])[1 + n % 5],
       (ARRAY['low','normal','normal','high','urgent'])[1 + n % 5], 'question',
       (ARRAY['solved','closed','closed','closed','open','pending','new','closed'])
           [1 + (n / 20) % 8],
       ('00000000-0000-7000-8000-' || lpad(to_hex(n % 20), 12, '0'))::uuid, '{}', '{}'
FROM (SELECT n, now() - (n || ' seconds')::interval AS ts
      FROM generate_series($2::int, $3::int) AS n) AS s
"""


async def load(dsn: str, rows: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        for start in range(1, rows + 1, 100_000):
            await conn.execute(LOAD, TENANT, start, min(start + 99_999, rows))
        await conn.execute("VACUUM ANALYZE tickets")
    finally:
        await conn.close()


def app_server(db_url: str) -> contextlib.AbstractContextManager[int]:
    return api_only("support", db_url, JWT_SECRET)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def service_sql(statuses: list[str]) -> tuple[str, list[object]]:
    """The SQL and parameters ``GET /v1/tickets`` sends for one queue's first page, as
    the service's repository builds it (the raw baseline runs the same statement)."""
    from crm_chassis.auth import Actor
    from crm_chassis.pagination import PageParams, apply_keyset
    from sqlalchemy.dialects.postgresql import asyncpg as dialect
    from support_service.tickets.repository import TicketRepository
    from support_service.tickets.schemas import TicketFilters

    repo = TicketRepository(None, Actor(tenant_id=TENANT, user_id=UUID(int=1)))  # type: ignore[arg-type]
    stmt = repo.filtered(TicketFilters(queue_id=UUID(QUEUE), status=statuses))  # type: ignore[arg-type]
    query, _ = apply_keyset(stmt, PageParams(limit=50, cursor=None, sort=None),
                            sortable=repo.sortable, id_column=repo.model.id,
                            default="-created_at")  # fmt: skip
    compiled = query.compile(dialect=dialect.dialect(), compile_kwargs={"render_postcompile": True})
    return compiled.string, [compiled.params[name] for name in compiled.positiontup or []]


async def explain(conn: object, sql: str, args: list[object]) -> None:
    """EXPLAIN ANALYZE of the service's statement, prepared as the driver prepares it: its
    first (custom) plan and the generic plan it may switch to after five executions."""
    literals = ", ".join(str(a) if isinstance(a, int) else f"'{a}'" for a in args)
    await conn.execute(f"PREPARE queue_page AS {sql}")  # type: ignore[attr-defined]
    for mode in ("force_custom_plan", "force_generic_plan"):
        await conn.execute(f"SET plan_cache_mode = {mode}")  # type: ignore[attr-defined]
        rows = await conn.fetch(  # type: ignore[attr-defined]
            f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE queue_page({literals})"
        )
        print(f"-- EXPLAIN ANALYZE, {mode}:")
        print("\n".join("   " + r[0] for r in rows))
    await conn.execute("RESET plan_cache_mode; DEALLOCATE queue_page")  # type: ignore[attr-defined]


QUEUE = "00000000-0000-7000-8000-000000000007"
UNSOLVED = ["new", "open", "pending"]


async def measure(port: int, dsn: str, requests: int, show_plans: bool) -> tuple[float, float]:
    """The worst p99 of the queue list over HTTP, and the p99 of the same SQL over raw
    asyncpg (the baseline), in milliseconds."""
    import asyncpg
    import httpx
    from crm_chassis.auth import Actor, issue_token
    from crm_chassis.settings import SharedSettings

    actor = Actor(tenant_id=TENANT, user_id=UUID(int=1), scopes=frozenset({"support:read"}))
    token = issue_token(actor, SharedSettings(jwt_secret=JWT_SECRET), ttl_seconds=3600)
    shapes = {
        "queue, unsolved (new, open, pending)": {"queue_id": QUEUE, "status": UNSOLVED},
        "queue, open": {"queue_id": QUEUE, "status": "open"},
    }
    sql, args = service_sql(UNSOLVED)
    conn = await asyncpg.connect(dsn)
    if show_plans:
        await explain(conn, sql, args)
    some_id = await conn.fetchval("SELECT id FROM tickets LIMIT 1")
    base = []
    for _ in range(requests):
        started = time.perf_counter()
        await conn.fetchrow("SELECT * FROM tickets WHERE id = $1", some_id)
        base.append((time.perf_counter() - started) * 1000)
    raw_list = []
    for _ in range(requests):  # a prepared statement, as SQLAlchemy's asyncpg dialect sends
        started = time.perf_counter()
        rows = await conn.fetch(sql, *args)
        raw_list.append((time.perf_counter() - started) * 1000)
    await conn.close()
    b99 = pct(base, 0.99)
    print(f"{'shape':40} {'p50 ms':>8} {'p99 ms':>8} {'p99/base':>9} {'rows':>5}")
    print(f"{'ref: raw asyncpg by id':40} {pct(base, 0.5):8.2f} {b99:8.2f} {b99 / b99:9.1f}")
    r99 = pct(raw_list, 0.99)
    print(f"{'baseline: the unsolved page, same SQL raw':40} {pct(raw_list, 0.5):8.2f} "
          f"{r99:8.2f} {r99 / b99:9.1f} {len(rows):>5}")  # fmt: skip
    worst = 0.0
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", headers=auth) as client:
        for name, params in shapes.items():
            for _ in range(5):  # warm the pool's connections and their prepared statements
                await client.get("/v1/tickets", params={**params, "limit": 50})
            times, count = [], 0
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get("/v1/tickets", params={**params, "limit": 50})
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
                count = len(response.json()["data"])
            p99 = pct(times, 0.99)
            worst = max(worst, p99)
            print(
                f"{name:40} {statistics.median(times):8.2f} {p99:8.2f} {p99 / b99:9.1f} {count:>5}"
            )
    verdict = "met" if worst < TARGET_P99_MS else "NOT met"
    print(f"agent's queue list p99 {worst:.1f} ms, target < {TARGET_P99_MS:.0f} ms: {verdict}")
    return worst, r99


async def queue_list(rows: int, requests: int, show_plans: bool) -> tuple[float, float]:
    from crm_local.migrations import alembic_upgrade
    from crm_local.postgres import database_url

    with (
        tempfile.TemporaryDirectory(prefix="crm-bench-support-") as tmp,
        postgres(Path(tmp)) as admin,
    ):
        db_url = database_url(admin, "bench_support")
        alembic_upgrade(ALEMBIC_INI, db_url, section="support")
        started = time.perf_counter()
        await load(db_url.replace("+asyncpg", ""), rows)
        print(f"loaded {rows:,} tickets in {time.perf_counter() - started:.0f}s "
              f"(load average {os.getloadavg()[0]:.1f})")  # fmt: skip
        with app_server(db_url) as port:
            return await measure(port, db_url.replace("+asyncpg", ""), requests, show_plans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the list")
    args = parser.parse_args()
    rate, plain = clock_rates(args.tickets, args.seed)
    results = [
        result_row(
            f"SLA due instants, business calendars + holidays, {args.tickets:,} tickets",
            rate, "/s", "plain datetime + timedelta, same tickets", plain,
            target=f">= {TARGET_PER_SECOND:,}/s on one core", met=rate >= TARGET_PER_SECOND,
        )
    ]  # fmt: skip
    if args.rows:
        p99, raw = asyncio.run(queue_list(args.rows, args.requests, args.explain))
        results.append(result_row(
            f"agent's queue list p99 over HTTP, {args.rows:,} tickets", p99, "ms",
            "the same SQL over raw asyncpg, p99", raw,
            target=f"p99 < {TARGET_P99_MS:.0f} ms", met=p99 < TARGET_P99_MS,
        ))  # fmt: skip
    print_result(results)


if __name__ == "__main__":
    main()
