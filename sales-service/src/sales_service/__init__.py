"""sales-service: sales force automation (S1-S12)."""
