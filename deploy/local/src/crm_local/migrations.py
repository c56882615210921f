"""Alembic ``upgrade heads`` in a child process, as every app's env.py expects it.

The workspace has one ``alembic.ini`` at its root with a section per app
(``alembic -n contacts upgrade heads``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

#: Our migrations/env.py files read the target database from this variable.
DATABASE_URL_ENV = "CRM_ALEMBIC_DATABASE_URL"
#: The workspace's one Alembic configuration, relative to the repo root.
WORKSPACE_ALEMBIC_INI = Path("alembic.ini")


class MigrationError(RuntimeError):
    """``alembic upgrade`` failed; the message holds its output."""


def alembic_upgrade(
    alembic_ini: Path,
    database_url: str,
    *,
    section: str | None = None,
    revision: str = "heads",
    env: Mapping[str, str] | None = None,
    timeout: float = 300.0,
) -> str:
    """Run ``python -m alembic -c <ini> [-n <section>] upgrade <revision>`` against
    ``database_url``; ``section`` names the app in the workspace's ini.

    A child process, not in-process: env.py files call ``asyncio.run``, which cannot run
    inside a caller's event loop, and Alembic's global context is not re-entrant.
    ``database_url`` is the SQLAlchemy form (``postgresql+asyncpg://``). Returns the
    output; raises MigrationError with it on failure.
    """
    ini = Path(alembic_ini).resolve()
    child_env = dict(os.environ if env is None else env) | {DATABASE_URL_ENV: database_url}
    app = ["-n", section] if section else []
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ini), *app, "upgrade", revision],
        cwd=ini.parent,
        env=child_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise MigrationError(
            f"alembic {' '.join(app)} upgrade {revision} ({ini}) failed:\n{output}"
        )
    return output
