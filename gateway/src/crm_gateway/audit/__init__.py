"""Audit (G5): every write through the gateway, who made it and how it ended."""
