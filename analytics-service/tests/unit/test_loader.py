"""The loader on a real DuckDB file: exactly once, accumulating facts, history kept."""

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from analytics_factories import T0, contact, deal_created, event, order, stage_changed
from analytics_service.warehouse.store import Warehouse


@pytest.fixture
def warehouse(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    yield wh
    wh.close()


def count(wh: Warehouse, sql: str, *params) -> int:
    return wh.read_now(sql, params).rows[0][0]


def test_a_batch_loaded_twice_has_one_effect(warehouse):
    tenant = uuid4()
    batch = [order(tenant, uuid4(), "10.00"), order(tenant, uuid4(), "5.50")]
    assert warehouse.load_now(batch) == 2
    assert warehouse.load_now(batch + batch) == 0
    assert count(warehouse, "SELECT count(*) FROM raw_events") == 2
    assert warehouse.read_now("SELECT sum(total) FROM fact_order").rows == [(Decimal("15.5"),)]


def test_a_failing_batch_leaves_no_row_and_no_handled_id(warehouse, monkeypatch):
    from analytics_service.warehouse import loader

    tenant = uuid4()

    def boom(*_):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "_erase", boom)
    erased = event("crm.contacts.contact.erased.v1", tenant, {"id": str(uuid4())})
    with pytest.raises(RuntimeError):
        warehouse.load_now([order(tenant, uuid4(), "1.00"), erased])
    assert count(warehouse, "SELECT count(*) FROM handled_events") == 0
    assert count(warehouse, "SELECT count(*) FROM fact_order") == 0


def test_a_deal_accumulates_its_stage_changes_until_won(warehouse):
    tenant, deal, owner = uuid4(), uuid4(), uuid4()
    warehouse.load_now([deal_created(tenant, deal, amount="1000.00", owner=owner)])
    warehouse.load_now(
        [
            stage_changed(tenant, deal, "proposal", frm="qualification", at=T0 + timedelta(days=3)),
            stage_changed(tenant, deal, "won", won=True, frm="proposal", at=T0 + timedelta(days=9)),
        ]
    )
    row = warehouse.read_now(
        "SELECT stage, status, amount, owner_id, created_at, closed_at FROM fact_deal"
    ).records()
    assert row == [
        {
            "stage": "won",
            "status": "won",
            "amount": Decimal("1000.0000"),
            "owner_id": owner,
            "created_at": T0,
            "closed_at": T0 + timedelta(days=9),
        }
    ]
    assert count(warehouse, "SELECT count(*) FROM fact_deal_stage_change") == 2
    assert count(warehouse, "SELECT count(*) FROM dim_owner") == 1


def test_contact_history_is_kept_and_a_late_version_is_ignored(warehouse):
    tenant, person = uuid4(), uuid4()
    v1 = contact(tenant, person, version=1, lifecycle_stage="lead")
    v2 = contact(tenant, person, version=2, at=T0 + timedelta(days=1), lifecycle_stage="customer")
    warehouse.load_now([v1, v2])
    warehouse.load_now([contact(tenant, person, version=1, lifecycle_stage="x")])  # new id, old
    rows = warehouse.read_now(
        "SELECT lifecycle_stage, is_current, valid_to FROM dim_contact ORDER BY valid_from"
    ).rows
    assert rows == [("lead", False, T0 + timedelta(days=1)), ("customer", True, None)]
    changes = warehouse.read_now(
        "SELECT from_stage, to_stage FROM fact_lifecycle ORDER BY occurred_at"
    ).rows
    assert changes == [(None, "lead"), ("lead", "customer")]


def test_order_lines_and_products_are_loaded(warehouse):
    tenant, product = uuid4(), uuid4()
    lines = [
        {"product_id": str(product), "name": "Beans", "quantity": "2", "unit_price": "3.25"},
        {"name": "Mug", "quantity": 1, "amount": "9.90"},
    ]
    warehouse.load_now([order(tenant, uuid4(), "16.40", lines=lines)])
    got = warehouse.read_now(
        "SELECT line_no, product_name, amount FROM fact_order_line ORDER BY line_no"
    ).rows
    assert got == [(1, "Beans", Decimal("6.5000")), (2, "Mug", Decimal("9.9000"))]
    assert warehouse.read_now("SELECT name FROM dim_product").rows == [("Beans",)]


def test_erasure_blanks_the_contacts_raw_payloads(warehouse):
    tenant, person = uuid4(), uuid4()
    warehouse.load_now([contact(tenant, person, version=1, first_name="Ada")])
    warehouse.load_now([event("crm.contacts.contact.erased.v1", tenant, {"id": str(person)})])
    payloads = warehouse.read_now(
        "SELECT data::VARCHAR FROM raw_events WHERE type LIKE 'crm.contacts.contact.created%'"
    ).rows
    assert payloads == [("{}",)]


def test_parquet_export_is_partitioned_by_tenant_and_month(warehouse, tmp_path):
    tenant = uuid4()
    warehouse.load_now([order(tenant, uuid4(), "1.00"), order(tenant, uuid4(), "2.00")])
    counts = warehouse.export_parquet_now(tmp_path / "parquet")
    assert counts["fact_order"] == 2
    files = list((tmp_path / "parquet" / "fact_order").rglob("*.parquet"))
    assert files and all(f"tenant_id={tenant}" in str(f) and "month=1" in str(f) for f in files)


def test_a_file_of_an_older_schema_is_rebuilt_from_its_own_raw_log(tmp_path):
    import duckdb
    from analytics_service.warehouse import upgrade

    tenant = uuid4()
    path = tmp_path / "old.duckdb"
    current = Warehouse(path)
    current.load_now([order(tenant, uuid4(), "12.00"), order(tenant, uuid4(), "3.00")])
    current.close()
    # make it look like a file of before: no version, a star table of another shape
    conn = duckdb.connect(str(path))
    conn.execute("DROP TABLE warehouse_meta")
    conn.execute("DROP TABLE fact_order")
    conn.execute("CREATE TABLE fact_order (tenant_id UUID, total DECIMAL(19,4))")
    conn.close()

    upgraded = Warehouse(path)
    assert upgraded.read_now("SELECT sum(total), count(date_key) FROM fact_order").rows == [
        (Decimal("15.0000"), 2)
    ]
    assert count(upgraded, "SELECT count(*) FROM handled_events") == 2
    upgraded.close()
    assert upgrade.version_of(path) == upgrade.SCHEMA_VERSION
    assert (tmp_path / "old.v0.duckdb").exists()


def test_a_swap_carries_over_what_the_live_file_loaded_during_the_rebuild(warehouse, tmp_path):
    from datetime import UTC, datetime

    from analytics_service.warehouse.store import open_file

    tenant = uuid4()
    early, late = order(tenant, uuid4(), "1.00"), order(tenant, uuid4(), "2.00")
    warehouse.load_now([early])
    rebuilt = tmp_path / "rebuilt.duckdb"
    conn = open_file(rebuilt)
    from analytics_service.warehouse import loader

    loader.load(conn, [early])  # what the rebuild read from the stream
    conn.close()
    since = datetime.now(UTC)
    warehouse.load_now([late])  # the live consumer, while the rebuild ran

    carried = warehouse.swap_now(rebuilt, since)

    assert carried == 1
    assert warehouse.read_now("SELECT sum(total) FROM fact_order").rows == [(Decimal("3.0000"),)]
    assert count(warehouse, "SELECT count(*) FROM handled_events") == 2
    assert not rebuilt.exists()


def test_one_rebuild_at_a_time_and_a_stopped_ones_file_is_removed(tmp_path):
    import os
    import time

    from analytics_service.warehouse.rebuild import STALE, _other_rebuild_running

    mine = tmp_path / "w.rebuild-b.duckdb"
    other = tmp_path / "w.rebuild-a.duckdb"
    other.write_bytes(b"")
    assert _other_rebuild_running(mine) is True
    old = time.time() - STALE.total_seconds() - 1
    os.utime(other, (old, old))
    assert _other_rebuild_running(mine) is False
    assert not other.exists()


def test_every_read_is_in_utc_whatever_the_host_zone(tmp_path, monkeypatch):
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        wh = Warehouse(tmp_path / "tz.duckdb")
        assert wh.read_now("SELECT current_setting('TimeZone')").rows == [("UTC",)]
        wh.close()
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_warehouse_holds_duckdb_to_its_memory_limit(tmp_path) -> None:
    from analytics_service.settings import AnalyticsSettings

    limit = AnalyticsSettings.model_fields["warehouse_memory_limit"].default
    held = Warehouse(tmp_path / "held.duckdb", memory_limit="256MB")
    default = Warehouse(tmp_path / "default.duckdb")
    try:
        setting = "SELECT current_setting('memory_limit')"
        assert held.read_now(setting).rows[0][0] == "244.1 MiB"  # 256 MB
        assert default.read_now(setting).rows[0][0] != held.read_now(setting).rows[0][0]
        assert limit == "1GB"
    finally:
        held.close()
        default.close()
