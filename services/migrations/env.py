"""The Alembic env.py of every app: the app is the ini section given with ``-n``."""

from crm_chassis.migrations import run_configured_migrations

run_configured_migrations()
