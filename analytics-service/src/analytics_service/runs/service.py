"""Model runs: started as chassis long tasks, never inside a request; each finished run
is a new version with its data window, and its results are published as events.

The step reads and fits in a worker thread, then, in the task's transaction, writes the
run, the ``model_run.completed`` event and a ``customer.segment_changed`` event for every
customer whose segment moved since the previous version (outbox: all or nothing).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from crm_chassis import tasks
from crm_chassis.crud import Call
from crm_chassis.errors import NotFound, ValidationFailed
from crm_chassis.outbox import EventSource, emit_many
from crm_chassis.tasks import Task, TaskFailed, TaskKind
from crm_proto import CloudEvent
from crm_proto.events.analytics import CustomerSegmentChanged, ModelRunCompleted
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.runs import inputs
from analytics_service.runs.models import ModelRun
from analytics_service.runs.options import OPTIONS
from analytics_service.runs.repository import RunRepository
from analytics_service.runtime import Runtime

if TYPE_CHECKING:
    from analytics_service.runs.compute import Outcome

KIND = "analytics.model.run"
SOURCE = EventSource("analytics-service")
#: The result field whose change between versions is a segment change.
SEGMENT_FIELD = {"rfm": "segment", "churn": "risk"}


def model_of(name: str) -> str:
    if name not in OPTIONS:
        raise NotFound(f"No model {name!r}; one of {', '.join(OPTIONS)}")
    return name


async def start(call: Call, model: str, body: dict[str, Any]) -> Task:
    """Queue a run of ``model`` (one at a time per tenant and model)."""
    model_of(model)
    try:
        options = OPTIONS[model].model_validate(body)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()
        ]
        raise ValidationFailed("The options did not validate", errors=errors) from None
    return await tasks.start(
        call.session,
        KIND,
        tenant_id=call.tenant_id,
        params={"model": model, "options": options.model_dump(mode="json")},
        total=1,
        key=f"model-{model}",
        stale_after=timedelta(minutes=30),
    )


async def get(call: Call, model: str, run_id: UUID) -> ModelRun | Task:
    """The finished run, or the task while it is still running (or failed)."""
    model_of(model)
    # The task first: its success commits with the run, so a succeeded task means the run
    # is there to read (the other order could miss a run committed between the reads).
    try:
        task: Task | None = await tasks.get(
            call.session, tenant_id=call.tenant_id, task_id=run_id, kind=KIND
        )
    except NotFound:
        task = None
    if task is not None and task.params.get("model") != model:
        raise NotFound(f"No {model} run {run_id}")
    if task is None or task.status == "succeeded":
        run = await RunRepository(call.session, call.tenant_id).get(model, run_id)
        if run is not None:
            return run
        if task is None:
            raise NotFound(f"No {model} run {run_id}")
    return task


async def latest(call: Call, model: str) -> ModelRun:
    run = await RunRepository(call.session, call.tenant_id).latest(model_of(model))
    if run is None:
        raise NotFound(f"No {model} run yet; POST /v1/models/{model}/runs starts one")
    return run


async def versions(call: Call, model: str) -> list[ModelRun]:
    return await RunRepository(call.session, call.tenant_id).versions(model_of(model))


def _segment_events(run: ModelRun, previous: ModelRun | None, outcome: Outcome) -> list[CloudEvent]:
    field = SEGMENT_FIELD.get(run.model)
    if field is None:
        return []
    before = {r["customer_id"]: r.get(field) for r in (previous.results if previous else [])}
    events = []
    for contact, (segment, scores) in outcome.segments.items():
        if before.get(contact) == segment:
            continue
        data = CustomerSegmentChanged(
            contact_id=UUID(contact),
            model=run.model,
            segment=segment,
            previous_segment=before.get(contact),
            run_id=run.id,
            version=run.version,
            scores={k: float(v) for k, v in scores.items()},
        )
        events.append(
            SOURCE.event(
                "crm.analytics.customer.segment_changed.v1",
                data,
                tenant_id=run.tenant_id,
                subject=contact,
            )
        )
    return events


def run_kind(runtime: Runtime) -> TaskKind:
    async def step(session: AsyncSession, task: Task) -> bool:
        # The fitting libraries (scikit-learn, statsmodels, scipy, mlxtend) load with the
        # first run, not with the app: the API starts in a second, not in twenty.
        from analytics_service.runs.compute import RUNNERS, NoData, json_safe

        model = task.params["model"]
        options = OPTIONS[model].model_validate(task.params["options"])
        as_of = options.as_of or task.created_at
        warehouse = runtime.warehouse
        try:
            outcome = await warehouse.run(RUNNERS[model], warehouse, task.tenant_id, as_of, options)
        except NoData as exc:
            raise TaskFailed(str(exc)) from None
        repo = RunRepository(session, task.tenant_id)
        previous = await repo.latest(model)
        run = ModelRun(
            id=task.id,
            tenant_id=task.tenant_id,
            model=model,
            version=(previous.version if previous else 0) + 1,
            window_from=await warehouse.run(inputs.first_event, warehouse, task.tenant_id),
            window_to=as_of,
            params=task.params["options"],
            summary=json_safe(outcome.summary),
            results=json_safe(outcome.results),
        )
        repo.add(run)
        customers = sum(1 for r in outcome.results if "customer_id" in r)
        completed = ModelRunCompleted(
            run_id=run.id,
            model=model,
            version=run.version,
            window_from=run.window_from,
            window_to=as_of,
            customers=customers,
        )
        await emit_many(
            session,
            [
                SOURCE.event(
                    "crm.analytics.model_run.completed.v1",
                    completed,
                    tenant_id=task.tenant_id,
                    subject=run.id,
                ),
                *_segment_events(run, previous, outcome),
            ],
        )
        task.done = 1
        task.result = {"run_id": str(run.id), "version": run.version}
        return True

    return TaskKind(KIND, step, max_failures=3)
