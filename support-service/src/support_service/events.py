"""The source of every event support-service publishes."""

from crm_chassis.outbox import EventSource

SOURCE = EventSource("support-service")
