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
import threading
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


def open_file(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse at ``path`` with every table created; a file of an
    older schema is first rebuilt from its own raw log (:mod:`.upgrade`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        upgrade.upgrade_if_older(path)
    return upgrade.connect(path)


def _loaded_since(live: duckdb.DuckDBPyConnection, since: datetime) -> list[CloudEvent]:
    """The events the live warehouse loaded from ``since`` on, in their load order."""
    rows = live.execute(
        f"SELECT {loader.RAW_COLUMNS} FROM raw_events r "
        "JOIN handled_events h USING (event_id) WHERE h.loaded_at >= ? ORDER BY h.loaded_at",
        [since],
    ).fetchall()
    return loader.events_of(rows)


class Warehouse:
    """The process's connection to the warehouse file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._opened: duckdb.DuckDBPyConnection | None = None

    @property
    def _conn(self) -> duckdb.DuckDBPyConnection:
        """The file is opened on first use (so building the app, or its OpenAPI, opens
        nothing), under the lock."""
        if self._opened is None:
            self._opened = open_file(self.path)
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
            cursor.execute("SET TimeZone = 'UTC'")
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
            fresh = open_file(rebuilt)
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
            self._opened = open_file(self.path)
            return carried

    def export_parquet_now(self, folder: Path) -> dict[str, int]:
        """Every fact table as Parquet under ``folder/<table>/`` partitioned by tenant,
        year and month of its date column (hive layout: Spark, Trino and DuckDB read it
        as one table). Returns the rows written per table."""
        counts: dict[str, int] = {}
        with self._cursor() as cursor:
            for table, column in FACT_DATES.items():
                target = folder / table
                target.mkdir(parents=True, exist_ok=True)
                counts[table] = cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                if not counts[table]:
                    continue
                cursor.execute(
                    f"COPY (SELECT *, year({column}) AS year, month({column}) AS month "
                    f"FROM {table}) TO '{target}' (FORMAT PARQUET, "
                    "PARTITION_BY (tenant_id, year, month), OVERWRITE)"
                )
        return counts

    # -- async API (the service) ----------------------------------------------------------

    async def load(self, events: Sequence[CloudEvent]) -> int:
        return await asyncio.to_thread(self.load_now, events)

    async def read(self, sql: str, params: Sequence[Any] = ()) -> Result:
        return await asyncio.to_thread(self.read_now, sql, params)

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(work, *args)
