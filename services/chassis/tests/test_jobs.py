"""The jobs table runner: due work, claimed once, retried on failure."""

import asyncio
from datetime import UTC, datetime, timedelta

from crm_chassis.jobs import JobRunner, schedule
from crm_chassis.tables import jobs
from sqlalchemy import select

from .conftest import Effect

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def record(session, job):
    session.add(Effect(key=job.payload["key"], tenant_id=job.tenant_id))


async def effect_keys(sessions):
    async with sessions() as s:
        return sorted((await s.execute(select(Effect.key))).scalars())


async def test_only_due_jobs_run_and_each_runs_once(sessions):
    async with sessions() as s, s.begin():
        await schedule(s, kind="remind", due_at=NOW - timedelta(minutes=1), payload={"key": "a"})
        await schedule(s, kind="remind", due_at=NOW, payload={"key": "b"})
        await schedule(s, kind="remind", due_at=NOW + timedelta(minutes=1), payload={"key": "c"})
    runner = JobRunner(sessions, {"remind": record})
    assert await runner.run_due(NOW) == 2
    assert await runner.run_due(NOW) == 0
    assert await effect_keys(sessions) == ["a", "b"]
    assert await runner.run_due(NOW + timedelta(minutes=2)) == 1
    assert await effect_keys(sessions) == ["a", "b", "c"]


async def test_concurrent_runners_never_run_the_same_job_twice(sessions):
    async with sessions() as s, s.begin():
        for i in range(60):
            await schedule(s, kind="remind", due_at=NOW, payload={"key": f"k{i:02}"})
    runners = [JobRunner(sessions, {"remind": record}, batch_size=7) for _ in range(3)]
    counts = await asyncio.gather(*(r.run_due(NOW) for r in runners))
    assert sum(counts) == 60
    assert await effect_keys(sessions) == [f"k{i:02}" for i in range(60)]


async def test_a_failing_job_keeps_its_error_and_is_retried_later(sessions):
    calls = []

    async def flaky(session, job):
        calls.append(job.attempts)
        session.add(Effect(key="partial", tenant_id=None))
        if len(calls) == 1:
            raise RuntimeError("smtp down")

    async with sessions() as s, s.begin():
        await schedule(s, kind="send", due_at=NOW)
    runner = JobRunner(sessions, {"send": flaky})
    await runner.run_due(NOW)
    async with sessions() as s:
        row = (await s.execute(select(jobs))).one()
    assert row.done_at is None and row.attempts == 1 and "smtp down" in row.last_error
    assert await effect_keys(sessions) == []  # the failed attempt's writes rolled back
    await runner.run_due(row.due_at)
    assert calls == [0, 1]
    assert await effect_keys(sessions) == ["partial"]


async def test_a_dedupe_key_schedules_at_most_one_job(sessions):
    async with sessions() as s, s.begin():
        await schedule(s, kind="remind", due_at=NOW, payload={"key": "x"}, dedupe_key="sla:1")
        await schedule(s, kind="remind", due_at=NOW, payload={"key": "y"}, dedupe_key="sla:1")
    assert await JobRunner(sessions, {"remind": record}).run_due(NOW) == 1
    assert await effect_keys(sessions) == ["x"]
