"""Pytest plugin and helpers: real PostgreSQL and NATS for CRM tests.

The plugin (``crm_testing.plugin``) is registered through the ``pytest11`` entry point;
helpers are importable from here.
"""

from crm_local.ports import free_port, free_ports

from crm_testing.database import ServiceDatabases, truncate_all
from crm_testing.events import EventCapture

__all__ = ["EventCapture", "ServiceDatabases", "free_port", "free_ports", "truncate_all"]
