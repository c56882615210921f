from datetime import timedelta
from pathlib import Path

from crm_chassis.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class AnalyticsSettings(ServiceSettings):
    """analytics-service settings, from ``CRM_ANALYTICS_*`` (and the shared ``CRM_*``)."""

    model_config = SettingsConfigDict(env_prefix="CRM_ANALYTICS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/crm_analytics"
    #: The DuckDB warehouse file (on a persistent volume in production).
    warehouse_path: Path = Path(".data/analytics/warehouse.duckdb")
    #: The most memory DuckDB's buffer pool may hold (it spills to disk past it); its own
    #: default, 80% of the machine's memory, ignores a pod's share of the node.
    warehouse_memory_limit: str = "1GB"
    #: Where the facts are written as date-partitioned Parquet.
    parquet_path: Path = Path(".data/analytics/parquet")
    #: The changed Parquet partitions are written at most this long after a batch loads
    #: them (a chassis job the loading consumer schedules; see docs/analytics.md).
    parquet_every: timedelta = timedelta(minutes=1)
    #: Whether this replica is the warehouse's one writer: it runs the loading consumer
    #: and the rebuilds. Other replicas answer reads from the same file only where the
    #: volume allows a second reader; see docs/analytics.md.
    warehouse_writer: bool = True
    #: Events read from the stream per rebuild step (one step commits its progress).
    rebuild_chunk: int = 5000
