"""Long tasks: chunks that commit with their progress, retries, failure, keys and cancel."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from crm_chassis import tasks
from crm_chassis.errors import Conflict, NotFound
from crm_chassis.jobs import JobRunner
from crm_chassis.tables import long_tasks
from sqlalchemy import select, update

from .conftest import Effect

CHUNK = 3
LATER = timedelta(hours=1)


def counting(*, fail_on_chunk: int | None = None, fail_times: int = 1, fatal: bool = False):
    """A kind that writes one Effect per unit up to ``params["n"]``, CHUNK units a step;
    the step of chunk ``fail_on_chunk`` raises (after writing) ``fail_times`` times."""
    failures = []

    async def step(session, task):
        start = task.state.get("next", 0)
        end = min(start + CHUNK, task.params["n"])
        for i in range(start, end):
            session.add(Effect(key=f"unit{i}", tenant_id=task.tenant_id))
        task.state["next"] = end
        task.done = end
        task.result["units"] = task.result.get("units", 0) + end - start
        if start // CHUNK == fail_on_chunk and len(failures) < fail_times:
            failures.append(start)
            if fatal:
                raise tasks.TaskFailed("the file is gone")
            raise RuntimeError("connection reset")
        return end >= task.params["n"]

    async def on_finish(session, task):
        session.add(Effect(key=f"finished:{task.status}", tenant_id=task.tenant_id))

    return tasks.TaskKind("test.count", step, on_finish=on_finish, max_failures=3)


async def start(sessions, kind, tenant, n=7, **kw):
    async with sessions() as s, s.begin():
        return await tasks.start(s, kind, tenant_id=tenant, params={"n": n}, total=n, **kw)


async def read(sessions, task, tenant=None):
    async with sessions() as s:
        return await tasks.get(s, tenant_id=tenant or task.tenant_id, task_id=task.id)


async def effects(sessions):
    async with sessions() as s:
        return sorted((await s.execute(select(Effect.key))).scalars())


def units(n):
    return sorted(f"unit{i}" for i in range(n))


async def test_a_task_steps_chunk_by_chunk_each_commiting_its_progress(sessions):
    kind, tenant = counting(), uuid4()
    task = await start(sessions, kind, tenant)
    assert (task.status, task.done, task.total, task.progress) == ("queued", 0, 7, 0.0)
    runner = JobRunner(sessions, tasks.job_handlers([kind]))
    assert await runner.run_due() == 1
    after_one = await read(sessions, task)
    assert (after_one.status, after_one.done, after_one.state) == ("running", 3, {"next": 3})
    assert after_one.progress == pytest.approx(3 / 7) and after_one.started_at is not None
    assert await effects(sessions) == units(3)  # the chunk committed with its progress
    while await runner.run_due():
        pass
    done = await read(sessions, task)
    assert (done.status, done.done, done.result, done.progress) == ("succeeded", 7, {"units": 7}, 1)
    assert done.finished_at is not None
    assert await effects(sessions) == sorted([*units(7), "finished:succeeded"])
    body = tasks.TaskProgress.of(done).model_dump(mode="json")
    assert (body["status"], body["done"], body["total"], body["progress"]) == ("succeeded", 7, 7, 1)


async def test_a_failed_chunk_rolls_back_and_is_retried_from_the_last_committed_one(sessions):
    kind, tenant = counting(fail_on_chunk=1), uuid4()
    task = await start(sessions, kind, tenant)
    runner = JobRunner(sessions, tasks.job_handlers([kind]))
    await runner.run_due()
    await runner.run_due()  # chunk 1 writes, then fails: nothing of it stays
    failed_once = await read(sessions, task)
    assert (failed_once.status, failed_once.done, failed_once.state) == ("running", 3, {"next": 3})
    assert failed_once.failures == 1 and "connection reset" in failed_once.error
    assert await effects(sessions) == units(3)
    while await runner.run_due(datetime.now(UTC) + LATER):
        pass
    done = await read(sessions, task)
    assert (done.status, done.done, done.failures, done.error) == ("succeeded", 7, 0, None)
    assert done.result == {"units": 7}
    assert await effects(sessions) == sorted([*units(7), "finished:succeeded"])  # each once


async def test_a_step_failing_every_time_fails_the_task_after_max_failures(sessions):
    kind, tenant = counting(fail_on_chunk=0, fail_times=99), uuid4()
    task = await start(sessions, kind, tenant)
    runner = JobRunner(sessions, tasks.job_handlers([kind]))
    while await runner.run_due(datetime.now(UTC) + LATER):
        pass
    failed = await read(sessions, task)
    assert (failed.status, failed.done, failed.failures) == ("failed", 0, 3)
    assert "connection reset" in failed.error and failed.finished_at is not None
    assert await effects(sessions) == ["finished:failed"]


async def test_task_failed_ends_the_task_at_once_with_its_message(sessions):
    kind, tenant = counting(fail_on_chunk=1, fatal=True), uuid4()
    task = await start(sessions, kind, tenant)
    runner = JobRunner(sessions, tasks.job_handlers([kind]))
    while await runner.run_due(datetime.now(UTC) + LATER):
        pass
    failed = await read(sessions, task)
    assert (failed.status, failed.done, failed.error) == ("failed", 3, "the file is gone")
    assert await effects(sessions) == sorted([*units(3), "finished:failed"])


async def test_one_active_task_per_key_until_it_finishes_or_stalls(sessions):
    kind, tenant = counting(), uuid4()
    first = await start(sessions, kind, tenant, key="scan:contact")
    with pytest.raises(Conflict):
        await start(sessions, kind, tenant, key="scan:contact")
    other_tenant = await start(sessions, kind, uuid4(), key="scan:contact")
    assert other_tenant.status == "queued"
    async with sessions() as s, s.begin():  # the first one's jobs gave up an hour ago
        stmt = update(long_tasks).where(long_tasks.c.id == first.id)
        await s.execute(stmt.values(updated_at=datetime.now(UTC) - 2 * LATER))
    second = await start(sessions, kind, tenant, key="scan:contact", stale_after=LATER)
    assert (await read(sessions, first)).status == "failed"
    assert (await read(sessions, first)).error == "stalled"
    runner = JobRunner(sessions, tasks.job_handlers([kind]))
    while await runner.run_due():
        pass
    assert (await read(sessions, second)).status == "succeeded"
    third = await start(sessions, kind, tenant, key="scan:contact")
    assert third.status == "queued"


async def test_a_cancelled_task_takes_no_further_step(sessions):
    kind, tenant = counting(), uuid4()
    task = await start(sessions, kind, tenant)
    runner = JobRunner(sessions, tasks.job_handlers([kind]))
    await runner.run_due()
    async with sessions() as s, s.begin():
        cancelled = await tasks.cancel(s, tenant_id=tenant, task_id=task.id)
    assert (cancelled.status, cancelled.done) == ("cancelled", 3)
    while await runner.run_due():
        pass
    assert (await read(sessions, task)).status == "cancelled"
    assert await effects(sessions) == units(3)


async def test_another_tenant_or_kind_never_reads_the_task(sessions):
    task = await start(sessions, counting(), uuid4())
    with pytest.raises(NotFound):
        await read(sessions, task, tenant=uuid4())
    async with sessions() as s:
        with pytest.raises(NotFound):
            await tasks.get(s, tenant_id=task.tenant_id, task_id=task.id, kind="test.other")
        with pytest.raises(NotFound):
            await tasks.cancel(s, tenant_id=uuid4(), task_id=task.id)


async def test_a_task_starts_from_the_state_it_is_given(sessions):
    kind, tenant = counting(), uuid4()
    task = await start(sessions, kind, tenant, state={"next": 6})
    runner = JobRunner(sessions, tasks.job_handlers([kind]))
    while await runner.run_due():
        pass
    assert (await read(sessions, task)).result == {"units": 1}
    assert await effects(sessions) == ["finished:succeeded", "unit6"]
    async with sessions() as s:
        found = await tasks.get_many(s, tenant_id=tenant, task_ids=[task.id, uuid4()])
        assert list(found) == [task.id]
        assert await tasks.get_many(s, tenant_id=uuid4(), task_ids=[task.id]) == {}
