"""A warehouse file of an older schema, rebuilt from its own raw log when it is opened.

The star is derived data: when its tables change (a column, a dimension), the file's
``schema_version`` is older than :data:`SCHEMA_VERSION`, and opening it re-derives the star
by loading the file's own ``raw_events`` into a new file (in their original order, with
the mapping as it is now), which then replaces it; the old file is kept beside it as
``<name>.v<old>.duckdb``. No event is read from the stream and none is lost, even those
the stream no longer retains. A change to a rule alone (no table change) needs no new
version: ``POST /v1/warehouse/rebuild`` applies it from the stream.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import duckdb

from analytics_service.warehouse import loader
from analytics_service.warehouse.schema import create_statements

#: Bump when a table of :mod:`~analytics_service.warehouse.schema` changes shape.
SCHEMA_VERSION = 3  # 3: parquet_dirty (an older file's partitions are all marked)
CHUNK = 5000


def connect(path: Path, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with every table created and the schema version recorded; DuckDB's
    buffer pool held to ``memory_limit`` (``"512MB"``; None: DuckDB's default, 80% of the
    machine's memory, which is not a container's share)."""
    config: dict[str, str | bool | int | float | list[str]] = (
        {"memory_limit": memory_limit} if memory_limit else {}
    )
    conn = duckdb.connect(str(path), config=config)
    # GLOBAL: every cursor of the connection (each read's) has it, no SET per read
    conn.execute("SET GLOBAL TimeZone = 'UTC'")
    for stmt in create_statements():
        conn.execute(stmt)
    conn.execute("CREATE TABLE IF NOT EXISTS warehouse_meta (schema_version INTEGER NOT NULL)")
    if conn.execute("SELECT count(*) FROM warehouse_meta").fetchone() == (0,):
        conn.execute("INSERT INTO warehouse_meta VALUES (?)", [SCHEMA_VERSION])
    return conn


def version_of(path: Path) -> int:
    """The schema version of the file at ``path`` (0: from before versions were kept)."""
    conn = duckdb.connect(str(path))
    try:
        tables = {r[0] for r in conn.execute("SHOW TABLES").fetchall()}
        if "warehouse_meta" not in tables:
            return 0
        row = conn.execute("SELECT max(schema_version) FROM warehouse_meta").fetchone()
        return int(row[0]) if row and row[0] is not None else 0
    finally:
        conn.close()


def upgrade_if_older(path: Path) -> bool:
    """Rebuild the file at ``path`` from its raw log if its schema is older; whether it was."""
    old = version_of(path)
    if old >= SCHEMA_VERSION:
        return False
    fresh = path.with_name(f"{path.stem}.upgrade.duckdb")
    for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    conn = connect(fresh)
    try:
        conn.execute(f"ATTACH '{path}' AS previous (READ_ONLY)")
        cursor = conn.cursor()
        rows = cursor.execute(
            f"SELECT {loader.RAW_COLUMNS} FROM previous.raw_events r ORDER BY r.time"
        )
        while batch := rows.fetchmany(CHUNK):
            loader.load(conn, loader.events_of(batch))
        cursor.close()
        conn.execute("DETACH previous")
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    os.replace(path, path.with_name(f"{path.stem}.v{old}.duckdb"))
    os.replace(fresh, path)
    return True
