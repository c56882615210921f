"""This service's event source, once."""

from crm_chassis.outbox import EventSource

SOURCE = EventSource("marketing-service")
