"""The migration onto long tasks carries existing imports, scans and their pending jobs."""

import asyncio
from uuid import uuid4

import asyncpg
import orjson
from crm_local.migrations import WORKSPACE_ALEMBIC_INI, alembic_upgrade
from crm_local.postgres import create_database, database_url, drop_database
from crm_local.stack import find_repo_root

BEFORE = "e4b2a6d8f011"  # the chassis long_tasks table exists, imports and scans are old


async def test_imports_scans_and_their_jobs_move_onto_long_tasks(postgres_url):
    name = f"long_tasks_move_{uuid4().hex[:8]}"
    create_database(postgres_url, name)
    url = database_url(postgres_url, name)
    ini = find_repo_root() / WORKSPACE_ALEMBIC_INI
    try:
        await asyncio.to_thread(alembic_upgrade, ini, url, section="contacts", revision=BEFORE)
        tenant, done_import, running_import, scan = uuid4(), uuid4(), uuid4(), uuid4()
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            for import_id, status, position in (
                (done_import, "completed", 0),
                (running_import, "running", 4096),
            ):
                await conn.execute(
                    "INSERT INTO imports (id, tenant_id, version, status, format, path,"
                    " size_bytes, mode, match_on, total_rows, processed, created, updated,"
                    " unchanged, failed, position, started_at)"
                    " VALUES ($1, $2, 1, $3, 'csv', '/x.upload', 10, 'create', 'email',"
                    " 3, 2, 1, 0, 0, 1, $4, now())",
                    import_id,
                    tenant,
                    status,
                    position,
                )
            await conn.execute(
                "INSERT INTO duplicate_scans (id, tenant_id, kind, status, min_score, cursor,"
                " processed, total, pairs_found, requested_by)"
                " VALUES ($1, $2, 'contact', 'running', 0.7, $3, 500, 900, 12, 'u1')",
                scan,
                tenant,
                uuid4(),
            )
            for kind, payload in (
                ("contacts.import", {"import_id": str(running_import)}),
                ("contacts.duplicates.scan", {"scan_id": str(scan)}),
            ):
                await conn.execute(
                    "INSERT INTO jobs (id, tenant_id, kind, due_at, payload)"
                    " VALUES ($1, $2, $3, now(), $4::jsonb)",
                    uuid4(),
                    tenant,
                    kind,
                    orjson.dumps(payload).decode(),
                )
        finally:
            await conn.close()

        await asyncio.to_thread(alembic_upgrade, ini, url, section="contacts")

        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            rows = {
                r["id"]: r
                for r in await conn.fetch(
                    "SELECT id, kind, status, key, total, done, params::text, state::text,"
                    " result::text FROM long_tasks WHERE tenant_id = $1",
                    tenant,
                )
            }
            jobs = await conn.fetch("SELECT kind, payload::text FROM jobs ORDER BY payload")
            columns = {
                r["column_name"]
                for r in await conn.fetch(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_name = 'imports'"
                )
            }
            scans_table = await conn.fetchval("SELECT to_regclass('duplicate_scans')")
        finally:
            await conn.close()
    finally:
        drop_database(postgres_url, name)

    assert set(rows) == {done_import, running_import, scan}
    done, running, scanned = rows[done_import], rows[running_import], rows[scan]
    assert (done["kind"], done["status"], done["total"], done["done"]) == (
        "contacts.import",
        "succeeded",
        3,
        2,
    )
    assert orjson.loads(done["result"]) == {"created": 1, "updated": 0, "unchanged": 0, "failed": 1}
    assert (running["status"], orjson.loads(running["state"])) == ("running", {"position": 4096})
    assert (scanned["kind"], scanned["status"], scanned["total"], scanned["done"]) == (
        "contacts.duplicates.scan",
        "running",
        900,
        500,
    )
    assert scanned["key"] == "contacts.duplicates.scan.contact"
    assert orjson.loads(scanned["params"]) == {
        "kind": "contact",
        "min_score": 0.7,
        "requested_by": "u1",
    }
    assert orjson.loads(scanned["result"]) == {"pairs_found": 12}
    assert {(j["kind"], orjson.loads(j["payload"])["task_id"]) for j in jobs} == {
        ("chassis.task.step", str(running_import)),
        ("chassis.task.step", str(scan)),
    }
    assert not {"status", "processed", "position", "total_rows"} & columns
    assert scans_table is None
