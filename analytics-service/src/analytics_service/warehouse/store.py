"""The warehouse: one DuckDB file, one writer, read by many.

DuckDB lets one process write a file; this class is that writer for its process, and the
deployment runs one warehouse writer (``CRM_ANALYTICS_WAREHOUSE_WRITER``, see
``docs/analytics.md``). Calls are blocking, so the async service runs them in a worker
thread; a lock serialises writes, the swap of a rebuilt file and the cursors reads take
(each read has its own cursor, so reads run side by side inside DuckDB).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
from crm_proto import CloudEvent

from analytics_service.warehouse import loader, upgrade
from analytics_service.warehouse.schema import FACT_DATES

T = TypeVar("T")


@dataclass(frozen=True)
class Result:
    """What a read returns: column names and rows (money as Decimal, times aware)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def open_file(path: Path, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse at ``path`` with every table created (DuckDB held to
    ``memory_limit``); a file of an older schema is first rebuilt from its own raw log
    (:mod:`.upgrade`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        upgrade.upgrade_if_older(path)
    return upgrade.connect(path, memory_limit)


def _loaded_since(live: duckdb.DuckDBPyConnection, since: datetime) -> list[CloudEvent]:
    """The events the live warehouse loaded from ``since`` on, in their load order."""
    rows = live.execute(
        f"SELECT {loader.RAW_COLUMNS} FROM raw_events r "
        "JOIN handled_events h USING (event_id) WHERE h.loaded_at >= ? ORDER BY h.loaded_at",
        [since],
    ).fetchall()
    return loader.events_of(rows)


def _replace_folder(new: Path, old: Path, trash: Path) -> None:
    """Put the folder ``new`` (or nothing, if it does not exist) where ``old`` is; the old
    one goes to ``trash`` (outside the tables, so no reader's glob finds it)."""
    gone = trash / uuid.uuid4().hex
    if old.exists():
        trash.mkdir(parents=True, exist_ok=True)
        os.replace(old, gone)
    if new.exists():
        old.parent.mkdir(parents=True, exist_ok=True)
        os.replace(new, old)
    shutil.rmtree(gone, ignore_errors=True)


class Warehouse:
    """The process's connection to the warehouse file."""

    def __init__(self, path: Path, *, memory_limit: str | None = None) -> None:
        self.path = path
        self.memory_limit = memory_limit
        self._lock = threading.Lock()
        self._opened: duckdb.DuckDBPyConnection | None = None

    @property
    def _conn(self) -> duckdb.DuckDBPyConnection:
        """The file is opened on first use (so building the app, or its OpenAPI, opens
        nothing), under the lock."""
        if self._opened is None:
            self._opened = open_file(self.path, self.memory_limit)
        return self._opened

    def close(self) -> None:
        with self._lock:
            if self._opened is not None:
                self._opened.close()
                self._opened = None

    @contextmanager
    def _cursor(self):
        with self._lock:
            cursor = self._conn.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    # -- blocking API (worker threads, benchmarks, tests) ---------------------------------

    def load_now(self, events: Sequence[CloudEvent]) -> int:
        with self._lock:
            return loader.load(self._conn, events)

    def read_now(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run a read; ``sql`` is built by this package from declared names, never given
        by a client, and every value is a parameter."""
        with self._cursor() as cursor:
            found = cursor.execute(sql, list(params))
            columns = [d[0] for d in found.description]
            return Result(columns, found.fetchall())

    def swap_now(self, rebuilt: Path, since: datetime) -> int:
        """Put the warehouse at ``rebuilt`` in place of this one; the events carried over.

        Under the writer lock, so no batch is loading meanwhile: what the live consumer
        loaded from ``since`` (the rebuild's start) on is loaded into the rebuilt file
        first (what the rebuild read already is skipped there as handled), so an event
        that reached the live file while the rebuild read the stream is not lost; then
        the file replaces the live one.
        """
        with self._lock:
            self._conn.execute("CHECKPOINT")
            fresh = open_file(rebuilt, self.memory_limit)
            try:
                missing = _loaded_since(self._conn, since)
                carried = loader.load(fresh, missing)
                fresh.execute("CHECKPOINT")
            finally:
                fresh.close()
            self._conn.close()
            os.replace(rebuilt, self.path)
            wal = rebuilt.with_name(rebuilt.name + ".wal")
            if wal.exists():
                wal.unlink()
            self._opened = open_file(self.path, self.memory_limit)
            return carried

    def export_parquet_now(self, folder: Path) -> dict[str, int]:
        """Every fact table as Parquet under ``folder`` (see :meth:`export_changed_now`):
        every partition is marked changed, then written. Returns the rows per table."""
        with self._lock:
            for table in FACT_DATES:
                loader._mark_changed(self._conn, table, table)
            self._write_changed(folder)
            counted = " UNION ALL ".join(
                f"SELECT '{table}', count(*) FROM {table}" for table in FACT_DATES
            )
            return dict(self._conn.execute(counted).fetchall())

    def export_changed_now(self, folder: Path) -> dict[str, int]:
        """Write the Parquet partitions changed since they were last written; the
        partitions written per table (none when nothing was loaded meanwhile).

        The layout is hive partitioning by tenant, year and month of ``date_key`` (the
        fact's UTC day): ``folder/<table>/tenant_id=<id>/year=<y>/month=<m>/*.parquet``,
        which Spark, Trino and DuckDB read as one table. Each changed partition is written
        whole into a staging folder and then renamed into place, so a reader sees the old
        partition or the new one (for an instant between two renames, neither), never half
        of one; the other partitions are not touched.
        """
        with self._lock:
            return self._write_changed(folder)

    def _write_changed(self, folder: Path) -> dict[str, int]:
        conn = self._conn
        dirty = conn.execute(
            "SELECT fact, tenant_id::VARCHAR, year, month FROM parquet_dirty ORDER BY ALL"
        ).fetchall()
        if not dirty:
            return {}
        staging = folder / f".staging-{uuid.uuid4().hex}"
        staging.mkdir(parents=True)
        written: dict[str, int] = {}
        try:
            for table in sorted({row[0] for row in dirty}):
                conn.execute(
                    f"COPY (SELECT t.*, year(t.date_key) AS year, month(t.date_key) AS month "
                    f"FROM {table} t WHERE EXISTS (SELECT 1 FROM parquet_dirty d "
                    f"WHERE d.fact = '{table}' AND d.tenant_id = t.tenant_id "
                    "AND d.year = year(t.date_key) AND d.month = month(t.date_key))) "
                    f"TO '{staging / table}' (FORMAT PARQUET, "
                    "PARTITION_BY (tenant_id, year, month), OVERWRITE_OR_IGNORE)"
                )
            for table, tenant, year, month in dirty:
                part = Path(table, f"tenant_id={tenant}", f"year={year}", f"month={month}")
                _replace_folder(staging / part, folder / part, staging / ".old")
                written[table] = written.get(table, 0) + 1
            conn.execute("DELETE FROM parquet_dirty")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return written

    # -- async API (the service) ----------------------------------------------------------

    async def load(self, events: Sequence[CloudEvent]) -> int:
        return await asyncio.to_thread(self.load_now, events)

    async def read(self, sql: str, params: Sequence[Any] = ()) -> Result:
        return await asyncio.to_thread(self.read_now, sql, params)

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(work, *args)
