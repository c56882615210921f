"""Loading a batch of events into the warehouse: exactly once in effect, in one transaction.

:func:`load` runs in one DuckDB transaction: it records the batch's event ids in
``handled_events`` (those already there are dropped from the batch, so a redelivered or
replayed event has no second effect), appends the raw log, and applies the star rows of
the fresh events (see :mod:`~analytics_service.warehouse.mapping` for the modes). The ids
commit with the rows or not at all, which is why they live in DuckDB and not in the
service's PostgreSQL inbox: the two databases cannot share a transaction.

Each table gets one statement per batch (a DataFrame insert), never one per event.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import duckdb
import pandas as pd
from crm_proto import CloudEvent

from analytics_service.warehouse.mapping import KEEP_FIRST, SCD_KEYS, Row, rows_of
from analytics_service.warehouse.schema import FACT_DATES, TABLES, UPSERT_KEYS

_ERASED = "crm.contacts.contact.erased"


def columns_of(table: str) -> list[str]:
    return [part.strip().split(" ")[0] for part in _TOP_COMMA.split(TABLES[table])]


def _type_of(table: str, column: str) -> str:
    for part in _TOP_COMMA.split(TABLES[table]):
        name, kind = part.strip().split(" ")[:2]
        if name == column:
            return kind
    raise KeyError(f"{table}.{column}")


def _key_match(table: str, keys: tuple[str, ...], left: str, right: str) -> str:
    """``left.k = right.k::TYPE`` for each key: the stored column is compared in its own
    type (its index is usable; casting it instead would scan the whole table)."""
    return " AND ".join(f"{left}.{k} = {right}.{k}::{_type_of(table, k)}" for k in keys)


_TOP_COMMA = re.compile(r",(?![^(]*\))")  # a comma outside DECIMAL(19,4)


@contextmanager
def _registered(conn: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> Iterator[None]:
    conn.register(name, frame)
    try:
        yield
    finally:
        with suppress(duckdb.Error):  # an aborted transaction refuses it; the error shows
            conn.unregister(name)


def _plain(value: Any) -> Any:
    """A value as a DataFrame cell DuckDB casts to the column's type on insert."""
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


_CONVERTED = (UUID, Decimal, dict, list)


def _frame(names: list[str], rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows as a DataFrame, built column by column: only a column holding a value
    DuckDB does not cast itself is converted cell by cell (:func:`_plain`)."""
    columns: dict[str, list[Any]] = {}
    for name in names:
        values = [row.get(name) for row in rows]
        if any(isinstance(v, _CONVERTED) for v in values):
            values = [_plain(v) for v in values]
        columns[name] = values
    return pd.DataFrame(columns, columns=names, dtype=object)


def _insert(conn: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    names = columns_of(table)
    dated = FACT_DATES.get(table)
    if dated is not None:
        for row in rows:
            when = row.get(dated)
            row["date_key"] = when.astimezone(UTC).date() if when is not None else None
    with _registered(conn, "_batch", _frame(names, rows)):
        conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _batch")
        if dated is not None:
            _mark_changed(conn, table, "_batch")


def _mark_changed(conn: duckdb.DuckDBPyConnection, table: str, relation: str) -> None:
    """Mark the Parquet partitions of ``table`` the rows of ``relation`` (which has the
    fact's ``tenant_id`` and ``date_key``) fall in as changed, in the batch's transaction."""
    conn.execute(
        "INSERT OR IGNORE INTO parquet_dirty SELECT DISTINCT ?, tenant_id::UUID, "
        f"year(date_key::DATE), month(date_key::DATE) FROM {relation} "
        "WHERE date_key IS NOT NULL",
        [table],
    )


def _existing(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    keys: tuple[str, ...],
    wanted: list[tuple[Any, ...]],
    where: str = "",
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The stored rows of ``table`` whose ``keys`` are among ``wanted``, by key."""
    if not wanted:
        return {}
    frame = pd.DataFrame([[str(v) for v in key] for key in wanted], columns=list(keys))
    with _registered(conn, "_keys", frame):
        on = _key_match(table, keys, "t", "k")
        cursor = conn.execute(f"SELECT t.* FROM {table} t JOIN _keys k ON {on} {where}")
        names = [d[0] for d in cursor.description]
        found = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    return {tuple(str(row[k]) for k in keys): row for row in found}


def _delete(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    keys: tuple[str, ...],
    gone: list[tuple[Any, ...]],
    where: str = "",
) -> None:
    if not gone:
        return
    frame = pd.DataFrame([[str(v) for v in key] for key in gone], columns=list(keys))
    with _registered(conn, "_gone", frame):
        match = _key_match(table, keys, table, "g")
        conn.execute(
            f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM _gone g WHERE {match}) {where}"
        )


def _merge(conn: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Accumulating snapshots: stored row, then each row's non-null fields in order."""
    keys = UPSERT_KEYS[table]
    order: list[tuple[str, ...]] = []
    incoming: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        key = tuple(str(row[k]) for k in keys)
        if key not in incoming:
            order.append(key)
        incoming[key].append(row)
    stored = _existing(conn, table, keys, order)
    merged = []
    for key in order:
        current = dict(stored.get(key, {}))
        for row in incoming[key]:
            for name, value in row.items():
                if value is None or (name in KEEP_FIRST and current.get(name) is not None):
                    continue
                current[name] = value
        if table == "fact_deal":
            current.setdefault("status", "open")
            current["status"] = current.get("status") or "open"
            current["created_at"] = current.get("created_at") or current["updated_at"]
        if table == "fact_ticket":
            current["status"] = current.get("status") or "open"
            current["created_at"] = current.get("created_at") or current["updated_at"]
        merged.append(current)
    _delete(conn, table, keys, [k for k in order if k in stored])
    _insert(conn, table, merged)
    if table in FACT_DATES:  # a row that moved to another month leaves the old one changed
        moved = [
            {"tenant_id": str(row["tenant_id"]), "date_key": row["date_key"]}
            for row, new in zip((stored.get(k) for k in order), merged, strict=True)
            if row is not None and row.get("date_key") != new.get("date_key")
        ]
        if moved:
            with _registered(conn, "_moved", pd.DataFrame(moved, dtype=object)):
                _mark_changed(conn, table, "_moved")


def _version(
    conn: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Type 2 history; returns the lifecycle changes of contacts, as fact rows."""
    keys = SCD_KEYS[table]
    incoming: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        incoming[tuple(str(row[k]) for k in keys)].append(row)
    stored = _existing(conn, table, keys, list(incoming), "WHERE t.is_current")
    written, changes, replaced = [], [], []
    for key, versions in incoming.items():
        current = stored.get(key)
        for row in versions:
            if _is_stale(current, row):
                continue
            if current is not None:
                written.append({**current, "valid_to": row["valid_from"], "is_current": False})
                if row.get("deleted"):  # a tombstone keeps what the record last was
                    row = {**current, **{k: v for k, v in row.items() if v is not None}}
            new = {**row, "valid_to": None, "is_current": True}
            if table == "dim_contact":
                before = current.get("lifecycle_stage") if current else None
                if new.get("lifecycle_stage") and new["lifecycle_stage"] != before:
                    changes.append((new, before))
            current = new
        if current is not None and current is not stored.get(key):
            written.append(current)
            if key in stored:
                replaced.append(key)
    _delete(conn, table, keys, replaced, "AND is_current")
    _insert(conn, table, written)
    return [
        {
            "tenant_id": new["tenant_id"],
            "event_id": new.pop("_event_id", None),
            "contact_id": new["contact_id"],
            "from_stage": before,
            "to_stage": new["lifecycle_stage"],
            "occurred_at": new["valid_from"],
        }
        for new, before in changes
    ]


def _is_stale(current: dict[str, Any] | None, row: dict[str, Any]) -> bool:
    if current is None:
        return False
    old, new = current.get("version"), row.get("version")
    if old is not None and new is not None:
        return int(new) <= int(old)
    return row["valid_from"] < current["valid_from"]


def fresh_events(conn: duckdb.DuckDBPyConnection, events: Sequence[CloudEvent]) -> list[CloudEvent]:
    """The events of the batch not handled before (nor twice in the batch), recorded now."""
    unique = list({e.id: e for e in events}.values())
    frame = pd.DataFrame({"event_id": [e.id for e in unique]})
    with _registered(conn, "_ids", frame):
        seen = {
            str(r[0])
            for r in conn.execute(
                "SELECT h.event_id FROM handled_events h JOIN _ids i "
                "ON h.event_id = i.event_id::UUID"
            ).fetchall()
        }
    fresh = [e for e in unique if str(UUID(e.id)) not in seen]
    now = datetime.now(UTC)
    _insert(conn, "handled_events", [{"event_id": e.id, "loaded_at": now} for e in fresh])
    return fresh


def apply(conn: duckdb.DuckDBPyConnection, events: Sequence[CloudEvent]) -> int:
    """Load ``events`` (already known to be fresh) into the raw log and the star."""
    _insert(
        conn,
        "raw_events",
        [
            {
                "event_id": e.id,
                "tenant_id": e.tenantid,
                "type": e.type,
                "source": e.source,
                "subject": e.subject,
                "time": e.time,
                "sequence": e.sequence,
                "data": e.data,
            }
            for e in events
        ],
    )
    by_mode: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    owners: list[dict[str, Any]] = []
    star: list[Row] = rows_of(events)
    for row in star:
        by_mode[(row.mode, row.table)].append(row.values)
        owner = row.values.get("owner_id")
        if owner is not None:
            owners.append(
                {
                    "tenant_id": row.values["tenant_id"],
                    "owner_id": owner,
                    "first_seen": _row_time(row.values),
                }
            )
    lifecycle: list[dict[str, Any]] = []
    for (mode, table), rows in by_mode.items():
        if mode == "append":
            _insert(conn, table, rows)
        elif mode == "merge":
            _merge(conn, table, rows)
        else:
            lifecycle.extend(_version(conn, table, rows))
    _insert(conn, "fact_lifecycle", lifecycle)
    _merge(conn, "dim_owner", owners)
    for event in events:
        if event.type.startswith(_ERASED):
            _erase(conn, event)
    return len(events)


def _row_time(values: dict[str, Any]) -> datetime | None:
    for name in ("occurred_at", "created_at", "ordered_at", "started_at", "valid_from"):
        if values.get(name) is not None:
            return values[name]
    return values.get("updated_at")


def _erase(conn: duckdb.DuckDBPyConnection, event: CloudEvent) -> None:
    """Privacy erasure (C10): the contact's raw payloads are blanked; the star keeps only
    ids and figures, never personal data, so its rows stay for the aggregates."""
    contact = str(event.data.get("id") or event.data.get("contact_id") or event.subject)
    conn.execute(
        "UPDATE raw_events SET data = '{}' WHERE tenant_id = ?::UUID AND type NOT LIKE ? AND ("
        "subject = ? OR json_extract_string(data, '$.contact_id') = ? "
        "OR json_extract_string(data, '$.contact.id') = ? "
        "OR json_extract_string(data, '$.id') = ?)",
        [event.tenantid, _ERASED + "%", contact, contact, contact, contact],
    )


#: The raw log's columns as :func:`events_of` reads them (table alias ``r``).
RAW_COLUMNS = (
    "r.event_id::VARCHAR, r.tenant_id::VARCHAR, r.type, r.source, r.subject, r.time, "
    "r.sequence, r.data::VARCHAR"
)


def events_of(rows: Sequence[tuple[Any, ...]]) -> list[CloudEvent]:
    """Rows of :data:`RAW_COLUMNS` as the CloudEvents they were."""
    return [
        CloudEvent(
            id=r[0],
            tenantid=r[1],
            type=r[2],
            source=r[3],
            subject=r[4],
            time=r[5],
            sequence=r[6],
            data=json.loads(r[7]),
        )
        for r in rows
    ]


def load(conn: duckdb.DuckDBPyConnection, events: Sequence[CloudEvent]) -> int:
    """Load a batch in one transaction; the number of events that were new."""
    conn.execute("BEGIN TRANSACTION")
    try:
        fresh = fresh_events(conn, events)
        apply(conn, fresh)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(fresh)
