"""Every event type of the platform, one module per service."""

from crm_proto.events import activity, analytics, contacts, gateway, marketing, sales, support

__all__ = ["activity", "analytics", "contacts", "gateway", "marketing", "sales", "support"]
