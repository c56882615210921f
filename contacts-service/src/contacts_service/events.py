from crm_chassis.outbox import EventSource

events = EventSource("contacts-service")
