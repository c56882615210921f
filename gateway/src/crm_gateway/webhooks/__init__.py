"""Webhooks (G4): subscriptions, signed deliveries with retries, the delivery log.

The API (``endpoints``) runs in the gateway; the dispatcher (``dispatcher``) is its own
process: it consumes the ``CRM`` stream into deliveries and runs them as jobs.
"""
