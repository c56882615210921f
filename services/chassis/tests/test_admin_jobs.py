"""``/v1/admin/jobs``: failed and pending jobs of the caller's tenant, a retry, the gauge."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest
from crm_chassis.admin_jobs import router
from crm_chassis.auth import VerifiedTokens
from crm_chassis.errors import install_problem_handlers
from crm_chassis.health import router as health_router
from crm_chassis.jobs import JobRunner, schedule
from crm_chassis.settings import SharedSettings
from crm_testing.service import bearer
from fastapi import FastAPI

from .conftest import Effect
from .test_jobs import effect_keys, job_rows

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SETTINGS = SharedSettings()
TENANT, OTHER = uuid4(), uuid4()


@pytest.fixture
async def http(sessions):
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(health_router)
    app.include_router(router)
    app.state.sessions, app.state.settings = sessions, SETTINGS
    app.state.tokens = VerifiedTokens(SETTINGS)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


def admin(tenant=TENANT, *scopes):
    return bearer(SETTINGS, tenant, scopes=("admin", *scopes))


healthy = {"ok": True}


async def flaky(session, job):
    if not healthy["ok"]:
        raise RuntimeError("the mail server is down")
    session.add(Effect(key=job.payload["key"], tenant_id=job.tenant_id))


async def fail_jobs(sessions, *tenants, kind="mail.send"):
    """One job per tenant, run until its single attempt failed."""
    async with sessions() as s, s.begin():
        for i, tenant in enumerate(tenants):
            await schedule(s, kind=kind, due_at=NOW, payload={"key": f"j{i}"}, tenant_id=tenant)
    healthy["ok"] = False
    runner = JobRunner(sessions, {kind: flaky}, max_attempts=1)
    try:
        assert await runner.run_due(NOW) == len(tenants)
    finally:
        healthy["ok"] = True
    return runner


async def test_failed_jobs_are_listed_to_their_tenants_admin_only(http, sessions):
    await fail_jobs(sessions, TENANT, OTHER, None)
    mine = (await http.get("/v1/admin/jobs?state=failed", headers=admin())).json()["data"]
    assert [(j["tenant_id"], j["kind"], j["attempts"]) for j in mine] == [
        (str(TENANT), "mail.send", 1)
    ]
    assert "the mail server is down" in mine[0]["last_error"] and mine[0]["failed_at"]
    other = (await http.get("/v1/admin/jobs", headers=admin(OTHER))).json()["data"]
    assert [j["tenant_id"] for j in other] == [str(OTHER)]
    platform = (await http.get("/v1/admin/jobs", headers=admin(TENANT, "platform:admin"))).json()
    assert sorted(str(j["tenant_id"]) for j in platform["data"]) == sorted([str(TENANT), "None"])


async def test_pending_jobs_are_listed_by_due_time_a_page_at_a_time(http, sessions):
    async with sessions() as s, s.begin():
        for minutes in (3, 1, 2):
            await schedule(
                s, kind="remind", due_at=NOW + timedelta(minutes=minutes), tenant_id=TENANT
            )
        await schedule(s, kind="remind", due_at=NOW, tenant_id=OTHER)
    await fail_jobs(sessions, TENANT)
    first = (await http.get("/v1/admin/jobs?state=pending&limit=2", headers=admin())).json()
    rest = (
        await http.get(
            f"/v1/admin/jobs?state=pending&limit=2&cursor={first['next_cursor']}",
            headers=admin(),
        )
    ).json()
    due = [j["due_at"] for j in first["data"] + rest["data"]]
    assert due == sorted(due) and len(due) == 3 and rest["next_cursor"] is None


async def test_retry_makes_a_failed_job_due_again(http, sessions):
    runner = await fail_jobs(sessions, TENANT)
    [row] = await job_rows(sessions)
    response = await http.post(f"/v1/admin/jobs/{row.id}/retry", headers=admin())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["failed_at"] is None and body["attempts"] == 0
    assert await runner.run_due() == 1  # due now, by the database clock
    assert await effect_keys(sessions) == ["j0"]
    again = await http.post(f"/v1/admin/jobs/{row.id}/retry", headers=admin())
    assert again.status_code == 409  # done, not failed


async def test_retry_refuses_what_the_caller_may_not_touch(http, sessions):
    await fail_jobs(sessions, OTHER, None)
    other, platform = sorted(await job_rows(sessions), key=lambda r: r.tenant_id is None)
    for job in (other, platform):
        response = await http.post(f"/v1/admin/jobs/{job.id}/retry", headers=admin())
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert (await http.post("/v1/admin/jobs/nope/retry", headers=admin())).status_code == 422
    assert (await http.get("/v1/admin/jobs?state=done", headers=admin())).status_code == 422
    reader = bearer(SETTINGS, TENANT, scopes=("contacts:read",))
    assert (await http.get("/v1/admin/jobs", headers=reader)).status_code == 403


async def test_retry_of_a_job_whose_dedupe_key_is_pending_again_is_a_conflict(http, sessions):
    async with sessions() as s, s.begin():
        await schedule(s, kind="mail.send", due_at=NOW, tenant_id=TENANT, dedupe_key="k")
    healthy["ok"] = False
    try:
        await JobRunner(sessions, {"mail.send": flaky}, max_attempts=1).run_due(NOW)
    finally:
        healthy["ok"] = True
    [failed] = await job_rows(sessions)
    async with sessions() as s, s.begin():
        await schedule(s, kind="mail.send", due_at=NOW, tenant_id=TENANT, dedupe_key="k")
    response = await http.post(f"/v1/admin/jobs/{failed.id}/retry", headers=admin())
    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "dedupe_key", "message": "a pending job has it"}]


async def test_failed_jobs_are_counted_on_metrics(http, sessions):
    runner = await fail_jobs(sessions, TENANT, OTHER, kind="metrics.counted")
    await runner.maintain()
    text = (await http.get("/metrics")).text
    assert 'crm_jobs_failed{kind="metrics.counted"} 2.0' in text
