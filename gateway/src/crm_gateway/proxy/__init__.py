"""Proxying ``/v1/...`` to the services (G1)."""
