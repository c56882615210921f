"""The facts as date-partitioned Parquet: only the partitions a load changed are written,
and DuckDB elsewhere reads them back as one table."""

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import duckdb
import pytest
from analytics_factories import T0, order
from analytics_service.warehouse.store import Warehouse


@pytest.fixture
def warehouse(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    yield wh
    wh.close()


def read_back(folder, table: str) -> list[tuple]:
    """The table as a reader elsewhere sees it (hive partitioning, as docs/analytics.md)."""
    return duckdb.sql(
        "SELECT tenant_id::VARCHAR, year, month, total FROM read_parquet("
        f"'{folder}/{table}/**/*.parquet', hive_partitioning = true) ORDER BY ALL"
    ).fetchall()


def files(folder, table: str) -> dict[str, int]:
    """Every Parquet file of ``table`` by path, with its inode (a rewrite is a new file)."""
    found = (folder / table).rglob("*.parquet")
    return {str(p.relative_to(folder)): p.stat().st_ino for p in found}


def test_only_changed_partitions_are_written_and_read_back_as_one_table(warehouse, tmp_path):
    folder = tmp_path / "parquet"
    tenant = uuid4()
    january, february = T0, T0 + timedelta(days=31)
    warehouse.load_now(
        [order(tenant, uuid4(), "10.00", at=january), order(tenant, uuid4(), "20.00", at=february)]
    )

    assert warehouse.export_changed_now(folder)["fact_order"] == 2
    t = str(tenant)
    assert read_back(folder, "fact_order") == [
        (t, 2026, 1, Decimal("10.0000")),
        (t, 2026, 2, Decimal("20.0000")),
    ]
    before = files(folder, "fact_order")

    warehouse.load_now([order(tenant, uuid4(), "5.00", at=february)])
    assert warehouse.export_changed_now(folder) == {"fact_order": 1}
    after = files(folder, "fact_order")
    january_files = {p: i for p, i in before.items() if "month=1/" in p}
    assert january_files and all(after[p] == i for p, i in january_files.items())
    assert all(after[p] != i for p, i in before.items() if "month=2/" in p)
    assert read_back(folder, "fact_order")[1:] == [
        (t, 2026, 2, Decimal("5.0000")),
        (t, 2026, 2, Decimal("20.0000")),
    ]

    assert warehouse.export_changed_now(folder) == {}  # nothing loaded since: nothing written


def test_a_full_export_writes_every_partition_and_leaves_nothing_marked(warehouse, tmp_path):
    folder = tmp_path / "parquet"
    tenant = uuid4()
    warehouse.load_now([order(tenant, uuid4(), "10.00")])
    warehouse.export_changed_now(folder)

    assert warehouse.export_parquet_now(folder)["fact_order"] == 1
    assert len(read_back(folder, "fact_order")) == 1
    assert warehouse.export_changed_now(folder) == {}


def test_a_fact_that_moves_to_another_month_leaves_the_old_partition(warehouse, tmp_path):
    folder = tmp_path / "parquet"
    tenant, order_id = uuid4(), uuid4()
    warehouse.load_now([order(tenant, uuid4(), "10.00", at=T0, order_id=order_id)])
    warehouse.export_changed_now(folder)

    later = T0 + timedelta(days=40)
    warehouse.load_now([order(tenant, uuid4(), "10.00", at=later, order_id=order_id)])
    warehouse.export_changed_now(folder)

    assert [row[1:3] for row in read_back(folder, "fact_order")] == [(2026, 2)]
