"""crm-proto: the contracts between CRM services.

One CloudEvents 1.0 envelope, subject naming, and a registry with one pydantic payload model
per event type. Every service imports these; nothing is copied.
"""

from crm_proto.envelope import CloudEvent, new_event, subject_for
from crm_proto.money import CurrencyMismatch, Money
from crm_proto.registry import REGISTRY, EventSpec, event_type, payload_model

__all__ = [
    "REGISTRY",
    "CloudEvent",
    "CurrencyMismatch",
    "EventSpec",
    "Money",
    "event_type",
    "new_event",
    "payload_model",
    "subject_for",
]
