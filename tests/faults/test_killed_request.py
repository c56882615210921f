"""A request killed with its process (SIGKILL mid-request) can be retried with its
Idempotency-Key at once, and takes effect exactly once.

The request is held at a chosen point by a trigger of this test's own database that
waits on an advisory lock the test holds: before its commit (the INSERT of the contact),
or after it (the storing of its response). The service is then killed and restarted.
"""

import asyncio
import contextlib

import asyncpg
import httpx
import pytest
from crm_local.postgres import libpq_url
from crm_testing.service import eventually

HOLD = 4242
KEY = {"idempotency-key": "order-1"}
BODY = {"first_name": "Ada"}


@pytest.fixture
async def db(contacts_db):
    conn = await asyncpg.connect(libpq_url(contacts_db))
    await conn.execute(
        f"""
        CREATE FUNCTION hold_here() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock_shared({HOLD});
            IF TG_ARGV[0] = 'fail' THEN
                RAISE EXCEPTION 'the process is gone';
            END IF;
            RETURN NEW;
        END $$"""
    )
    yield conn
    await conn.close()


async def held(db, count: int = 1) -> None:
    """Wait until ``count`` backends are blocked in the trigger."""

    async def blocked() -> None:
        waiting = await db.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 "
            "AND NOT granted",
            HOLD,
        )
        assert waiting == count

    await eventually(blocked, within=20)


async def contacts(http) -> list[str]:
    return [c["first_name"] for c in (await http.get("/v1/contacts")).json()["data"]]


async def test_a_request_killed_before_its_commit_runs_once_when_retried(db, start_contacts, auth):
    await db.execute(
        "CREATE TRIGGER hold BEFORE INSERT ON contacts FOR EACH ROW EXECUTE FUNCTION hold_here('')"
    )
    service = start_contacts(CRM_CONTACTS_DB_STATEMENT_TIMEOUT="60")
    async with httpx.AsyncClient(base_url=service.url, headers=auth, timeout=60) as http:
        await db.execute("SELECT pg_advisory_lock($1)", HOLD)
        first = asyncio.create_task(http.post("/v1/contacts", json=BODY, headers=KEY))
        await held(db)
        service.kill()
        with pytest.raises(httpx.TransportError):
            await first
        service.start()
        # At once: the dead process's claim went with its connection, so the retry is
        # not "in progress"; it runs (and waits at the same point, like the first).
        retry = asyncio.create_task(http.post("/v1/contacts", json=BODY, headers=KEY))
        await held(db, count=2)  # the dead request's backend and the retry's
        await db.execute("SELECT pg_advisory_unlock($1)", HOLD)
        response = await retry
        assert response.status_code == 201, response.text
        assert await contacts(http) == ["Ada"]
        replayed = await http.post("/v1/contacts", json=BODY, headers=KEY)
        assert replayed.headers["idempotent-replayed"] == "true"
        assert replayed.json() == response.json()
        assert await contacts(http) == ["Ada"]


async def test_a_request_killed_after_its_commit_is_not_run_again(db, start_contacts, auth):
    # Storing the response waits, then fails: the process died before it was stored.
    await db.execute(
        "CREATE TRIGGER hold BEFORE UPDATE ON idempotency_keys FOR EACH ROW "
        "EXECUTE FUNCTION hold_here('fail')"
    )
    service = start_contacts(CRM_CONTACTS_DB_STATEMENT_TIMEOUT="60")
    async with httpx.AsyncClient(base_url=service.url, headers=auth, timeout=60) as http:
        await db.execute("SELECT pg_advisory_lock($1)", HOLD)
        first = await http.post("/v1/contacts", json=BODY, headers=KEY)
        assert first.status_code == 201  # sent before its response is stored
        await held(db)
        service.kill()
        await db.execute("SELECT pg_advisory_unlock($1)", HOLD)
        service.start()

        async def answered() -> httpx.Response:
            response = await http.post("/v1/contacts", json=BODY, headers=KEY)
            assert response.status_code != 409 or "in progress" not in response.text
            return response

        retry = await eventually(answered, within=10)
        assert retry.status_code == 409
        assert retry.json()["type"].endswith("/idempotency-completed")
        assert await contacts(http) == ["Ada"]
        with contextlib.suppress(Exception):
            await db.execute("DROP TRIGGER hold ON idempotency_keys")
