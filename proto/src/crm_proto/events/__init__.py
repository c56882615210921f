"""Every event type of the platform, one module per service."""

from crm_proto.events import contacts

__all__ = ["contacts"]
