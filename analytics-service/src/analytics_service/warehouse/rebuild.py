"""``POST /v1/warehouse/rebuild``: replay the stream into a fresh file, then swap it in.

A chassis long task. Its first step notes the stream's bounds and names a new file; each
step reads a chunk of the stream into that file (the chunk's events and the task's
progress commit together: a crash resumes at the last chunk, and a chunk read twice is
skipped by the new file's handled ids); the last step swaps the file in
(:meth:`~analytics_service.warehouse.store.Warehouse.swap_now`). The live warehouse keeps
loading and answering meanwhile.
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crm_chassis.tasks import Task, TaskFailed, TaskKind
from crm_proto import CloudEvent
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.runtime import Runtime
from analytics_service.warehouse import loader, stream
from analytics_service.warehouse.store import open_file

KIND = "analytics.warehouse.rebuild"
KEY = "warehouse-rebuild"
# Events the live consumer loaded this long before the rebuild began are carried over
# too (the new file skips those it has): clocks of one process, a margin all the same.
_MARGIN = timedelta(seconds=5)
#: A rebuild whose file has not changed for this long has stopped.
STALE = timedelta(minutes=10)


def _load_into(path: Path, events: list[CloudEvent], memory_limit: str | None) -> int:
    conn = open_file(path, memory_limit)
    try:
        return loader.load(conn, events)
    finally:
        conn.close()


def _discard(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _other_rebuild_running(mine: Path) -> bool:
    """Whether another rebuild's file is being written (the warehouse is one for every
    tenant, so rebuilds are one at a time whoever asks); a file left by a rebuild that
    stopped (untouched for :data:`STALE`) is removed."""
    busy = False
    for other in mine.parent.glob(mine.name.split(".rebuild-")[0] + ".rebuild-*.duckdb"):
        if other == mine:
            continue
        age = time.time() - other.stat().st_mtime
        if age < STALE.total_seconds():
            busy = True
        else:
            _discard(other)
    return busy


def rebuild_kind(runtime: Runtime) -> TaskKind:
    async def step(session: AsyncSession, task: Task) -> bool:
        state = dict(task.state)
        warehouse = runtime.warehouse
        if "next" not in state:
            path = warehouse.path.with_name(f"{warehouse.path.stem}.rebuild-{task.id}.duckdb")
            if await warehouse.run(_other_rebuild_running, path):
                raise TaskFailed("another warehouse rebuild is running (one at a time)")
            first, last = await stream.bounds(runtime.bus)
            await warehouse.run(_discard, path)
            since = datetime.now(UTC) - _MARGIN
            state = {"next": first, "last": last, "path": str(path), "since": since.isoformat()}
            task.total, task.done = max(0, last - first + 1), 0
        events, following = await stream.read(
            runtime.bus, state["next"], runtime.settings.rebuild_chunk, state["last"]
        )
        loaded = await warehouse.run(
            _load_into, Path(state["path"]), events, warehouse.memory_limit
        )
        task.done += following - state["next"]
        state["next"] = following
        task.result = {**task.result, "loaded": task.result.get("loaded", 0) + loaded}
        task.state = state
        if following <= state["last"]:
            return False
        since = datetime.fromisoformat(state["since"])
        carried = await warehouse.run(warehouse.swap_now, Path(state["path"]), since)
        task.result = {**task.result, "carried_over": carried, "swapped": True}
        return True

    return TaskKind(KIND, step)
