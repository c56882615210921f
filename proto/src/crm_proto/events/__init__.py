"""Every event type of the platform, one module per service."""

from crm_proto.events import activity, contacts, sales

__all__ = ["activity", "contacts", "sales"]
