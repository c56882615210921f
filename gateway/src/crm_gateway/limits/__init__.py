"""Limits at the edge (G3): request sizes, rate limits, and circuit breakers per service."""
