"""The jobs table runner: due work, claimed once, retried on failure, leased, purged."""

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from crm_chassis import metrics
from crm_chassis.jobs import JobRunner, cancel, next_due, reschedule, schedule
from crm_chassis.tables import jobs
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from .conftest import Effect

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


async def record(session, job):
    session.add(Effect(key=job.payload["key"], tenant_id=job.tenant_id))


async def effect_keys(sessions):
    async with sessions() as s:
        return sorted((await s.execute(select(Effect.key))).scalars())


async def job_rows(sessions):
    async with sessions() as s:
        return (await s.execute(select(jobs).order_by(jobs.c.due_at, jobs.c.created_at))).all()


async def schedule_one(sessions, **kw):
    kw.setdefault("kind", "remind")
    kw.setdefault("due_at", NOW)
    async with sessions() as s, s.begin():
        return await schedule(s, **kw)


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

    await schedule_one(sessions, kind="send")
    runner = JobRunner(sessions, {"send": flaky})
    await runner.run_due(NOW)
    [row] = await job_rows(sessions)
    assert row.done_at is None and row.attempts == 1 and "smtp down" in row.last_error
    assert row.due_at == NOW and row.locked_until > NOW  # backing off
    assert await effect_keys(sessions) == []  # the failed attempt's writes rolled back
    assert await runner.run_due(row.locked_until - timedelta(microseconds=1)) == 0
    await runner.run_due(row.locked_until)
    assert calls == [0, 1]
    assert await effect_keys(sessions) == ["partial"]


async def test_a_dedupe_key_while_pending_returns_the_pending_job(sessions):
    first = await schedule_one(sessions, payload={"key": "x"}, dedupe_key="sla:1")
    again = await schedule_one(sessions, payload={"key": "y"}, dedupe_key="sla:1")
    assert again == first
    assert [r.id for r in await job_rows(sessions)] == [first]
    assert await JobRunner(sessions, {"remind": record}).run_due(NOW) == 1
    assert await effect_keys(sessions) == ["x"]


async def test_a_dedupe_key_reused_after_the_job_ran_schedules_a_new_one(sessions):
    runner = JobRunner(sessions, {"remind": record})
    first = await schedule_one(sessions, payload={"key": "x"}, dedupe_key="sla:1")
    assert await runner.run_due(NOW) == 1
    second = await schedule_one(sessions, payload={"key": "y"}, dedupe_key="sla:1")
    assert second != first
    assert await runner.run_due(NOW) == 1
    assert await effect_keys(sessions) == ["x", "y"]


async def test_a_dedupe_key_is_unique_per_tenant_and_once_for_the_platform(sessions):
    a, b = uuid4(), uuid4()
    ids = [await schedule_one(sessions, tenant_id=t, dedupe_key="k") for t in (a, b, None, None)]
    assert len(set(ids)) == 3 and ids[2] == ids[3]


async def test_replace_moves_the_pending_job_of_a_dedupe_key(sessions):
    first = await schedule_one(sessions, payload={"key": "x"}, dedupe_key="sla:1")
    later = NOW + timedelta(hours=1)
    moved = await schedule_one(
        sessions, due_at=later, payload={"key": "y"}, dedupe_key="sla:1", replace=True
    )
    assert moved == first
    runner = JobRunner(sessions, {"remind": record})
    assert await runner.run_due(NOW) == 0
    assert await runner.run_due(later) == 1
    assert await effect_keys(sessions) == ["y"]


async def test_cancel_removes_a_pending_job_and_says_whether_there_was_one(sessions):
    tenant = uuid4()
    by_id = await schedule_one(sessions, tenant_id=tenant, payload={"key": "a"})
    await schedule_one(sessions, tenant_id=tenant, payload={"key": "b"}, dedupe_key="sla:b")
    await schedule_one(sessions, tenant_id=tenant, payload={"key": "c"}, dedupe_key="sla:c")
    async with sessions() as s, s.begin():
        assert await cancel(s, tenant_id=uuid4(), job_id=by_id) is False  # another tenant's
        assert await cancel(s, tenant_id=tenant, job_id=by_id) is True
        assert await cancel(s, tenant_id=tenant, dedupe_key="sla:b") is True
        assert await cancel(s, tenant_id=tenant, dedupe_key="sla:b") is False
    assert await JobRunner(sessions, {"remind": record}).run_due(NOW) == 1
    assert await effect_keys(sessions) == ["c"]
    async with sessions() as s, s.begin():
        assert await cancel(s, tenant_id=tenant, dedupe_key="sla:c") is False  # it ran


async def test_cancel_in_a_transaction_that_rolls_back_keeps_the_job(sessions):
    job_id = await schedule_one(sessions, payload={"key": "a"})
    with pytest.raises(RuntimeError):
        async with sessions() as s, s.begin():
            assert await cancel(s, tenant_id=None, job_id=job_id)
            raise RuntimeError("the ticket update failed")
    assert await JobRunner(sessions, {"remind": record}).run_due(NOW) == 1


async def test_cancel_needs_exactly_one_name_of_the_job(sessions):
    async with sessions() as s, s.begin():
        with pytest.raises(ValueError):
            await cancel(s, tenant_id=None)
        with pytest.raises(ValueError):
            await cancel(s, tenant_id=None, job_id=uuid4(), dedupe_key="k")


async def test_reschedule_moves_a_pending_job_and_says_whether_there_was_one(sessions):
    tenant = uuid4()
    job_id = await schedule_one(sessions, tenant_id=tenant, payload={"key": "a"}, dedupe_key="k")
    later = NOW + timedelta(hours=2)
    async with sessions() as s, s.begin():
        assert await reschedule(s, tenant_id=uuid4(), job_id=job_id, due_at=later) is False
        assert await reschedule(s, tenant_id=tenant, dedupe_key="k", due_at=later) is True
    runner = JobRunner(sessions, {"remind": record})
    assert await runner.run_due(NOW) == 0
    assert await runner.run_due(later) == 1
    async with sessions() as s, s.begin():
        assert await reschedule(s, tenant_id=tenant, job_id=job_id, due_at=later) is False


async def test_a_recurring_job_schedules_its_next_run_skipping_missed_periods(sessions):
    hour = timedelta(hours=1)
    first = await schedule_one(sessions, payload={"key": "tick"}, dedupe_key="digest", every=hour)
    runner = JobRunner(sessions, {"remind": record})
    assert await runner.run_due(NOW + 2.5 * hour) == 1  # ran once, not once per missed hour
    done, pending = await job_rows(sessions)
    assert done.id == first and done.done_at is not None
    assert pending.due_at == NOW + 3 * hour and pending.done_at is None
    assert (pending.dedupe_key, pending.every, pending.payload) == ("digest", hour, {"key": "tick"})
    assert await schedule_one(sessions, dedupe_key="digest", every=hour) == pending.id
    assert await runner.run_due(NOW + 3 * hour) == 1
    assert await effect_keys(sessions) == ["tick", "tick"]
    async with sessions() as s, s.begin():
        assert await cancel(s, tenant_id=None, dedupe_key="digest")  # stops it
    assert await runner.run_due(NOW + 10 * hour) == 0


async def test_a_recurring_job_that_fails_is_retried_before_it_recurs(sessions):
    calls = []

    async def flaky(session, job):
        calls.append(job.attempts)
        if len(calls) == 1:
            raise RuntimeError("down")

    await schedule_one(sessions, kind="tick", every=timedelta(hours=1))
    runner = JobRunner(sessions, {"tick": flaky})
    assert await runner.run_due(NOW) == 1
    [row] = await job_rows(sessions)
    assert await runner.run_due(row.locked_until) == 1
    rows = await job_rows(sessions)
    assert calls == [0, 1] and len(rows) == 2
    assert rows[1].due_at == NOW + timedelta(hours=1) and rows[1].attempts == 0


def test_next_due_is_the_first_period_after_the_clock():
    hour = timedelta(hours=1)
    assert next_due(NOW, hour, NOW) == NOW + hour
    assert next_due(NOW, hour, NOW + hour) == NOW + 2 * hour
    assert next_due(NOW, hour, NOW + 2.5 * hour) == NOW + 3 * hour


@given(
    every=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=30)),
    late=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
)
def test_next_due_keeps_the_period_and_never_lies_in_the_past(every, late):
    clock = NOW + late
    due = next_due(NOW, every, clock)
    assert due > clock and due - every <= clock  # the first period after the clock
    assert (due - NOW) % every == timedelta(0)  # on the schedule's own beat


async def test_schedule_refuses_a_period_that_is_not_positive(sessions):
    with pytest.raises(ValueError):
        await schedule_one(sessions, every=timedelta(0))


async def test_a_job_that_exhausts_its_attempts_is_kept_as_failed_and_counted(sessions):
    async def broken(session, job):
        raise RuntimeError(f"attempt {job.attempts} failed")

    await schedule_one(sessions, kind="exhausting")
    runner = JobRunner(sessions, {"exhausting": broken}, max_attempts=2)
    assert await runner.run_due(NOW) == 1
    [row] = await job_rows(sessions)
    assert row.failed_at is None
    assert await runner.run_due(row.locked_until) == 1
    [row] = await job_rows(sessions)
    assert row.failed_at is not None and row.done_at is None and row.attempts == 2
    assert "attempt 1 failed" in row.last_error
    assert await runner.run_due(NOW + timedelta(days=30)) == 0  # never claimed again
    await runner.maintain()
    assert metrics.JOBS_FAILED.labels("exhausting")._value.get() == 1
    async with sessions() as s, s.begin():
        assert await cancel(s, tenant_id=None, job_id=row.id) is False  # not pending
    await schedule_one(sessions, kind="exhausting")  # a failed job holds no dedupe key
    async with sessions() as s, s.begin():
        await s.execute(jobs.delete().where(jobs.c.id == row.id))
    await runner.maintain()
    assert metrics.JOBS_FAILED.labels("exhausting")._value.get() == 0


async def test_a_run_that_never_commits_runs_again_once_its_lease_expires(sessions):
    entered, release = asyncio.Event(), asyncio.Event()
    calls = []

    async def hangs_first_time(session, job):
        calls.append(job.attempts)
        session.add(Effect(key=f"run{len(calls)}", tenant_id=None))
        if len(calls) == 1:
            entered.set()
            await release.wait()  # never set: the process dies here

    await schedule_one(sessions, kind="slow")
    crashed = JobRunner(sessions, {"slow": hangs_first_time}, lease=LEASE)
    task = asyncio.create_task(crashed.run_due(NOW))
    await entered.wait()
    other = JobRunner(sessions, {"slow": hangs_first_time}, lease=LEASE)
    assert await other.run_due(NOW + 2 * LEASE) == 0  # the run in flight holds its job
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [row] = await job_rows(sessions)
    assert row.done_at is None and row.attempts == 1 and row.locked_until == NOW + LEASE
    assert await other.run_due(NOW + LEASE - timedelta(seconds=1)) == 0  # still leased
    assert await other.run_due(NOW + LEASE) == 1
    assert calls == [0, 1]
    assert await effect_keys(sessions) == ["run2"]


async def test_a_run_that_outlasts_its_lease_is_given_up_and_retried(sessions):
    async def hangs(session, job):
        session.add(Effect(key="never", tenant_id=None))
        await asyncio.Event().wait()

    await schedule_one(sessions, kind="hung")
    runner = JobRunner(sessions, {"hung": hangs}, lease=timedelta(milliseconds=20))
    assert await runner.run_due(NOW) == 1
    [row] = await job_rows(sessions)
    assert row.done_at is None and row.attempts == 1 and "TimeoutError" in row.last_error
    assert await effect_keys(sessions) == []


async def test_a_job_whose_runs_all_die_is_failed_when_its_last_lease_expires(sessions):
    async def dies(session, job):
        raise asyncio.CancelledError  # the process is stopped mid-job

    await schedule_one(sessions, kind="dying")
    runner = JobRunner(sessions, {"dying": dies}, lease=LEASE, max_attempts=1)
    with pytest.raises(asyncio.CancelledError):
        await runner.run_due(NOW)
    await runner.maintain(NOW)
    [row] = await job_rows(sessions)
    assert row.failed_at is None  # its lease still runs
    await runner.maintain(NOW + LEASE)
    [row] = await job_rows(sessions)
    assert row.failed_at is not None and "never finished" in row.last_error


async def test_cancel_voids_a_claim_that_has_not_started(sessions):
    job_id = await schedule_one(sessions, payload={"key": "a"})
    runner = JobRunner(sessions, {"remind": record})
    [claim] = await runner._claim(NOW)
    async with sessions() as s, s.begin():
        assert await cancel(s, tenant_id=None, job_id=job_id)
    await runner._run_one(claim)
    assert await effect_keys(sessions) == []


async def test_maintain_purges_done_rows_older_than_the_retention(sessions):
    for key in "abc":
        await schedule_one(sessions, payload={"key": key})
    await schedule_one(sessions, due_at=NOW + timedelta(days=9), payload={"key": "later"})
    runner = JobRunner(sessions, {"remind": record}, retention=timedelta(days=1), purge_batch=2)
    assert await runner.run_due(NOW) == 3
    assert await runner.maintain() == 0  # done just now
    assert await runner.maintain(datetime.now(UTC) + timedelta(days=2)) == 3
    [left] = await job_rows(sessions)
    assert left.payload == {"key": "later"}
