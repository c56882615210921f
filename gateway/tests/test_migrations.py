"""Models and migrations agree: autogenerate finds nothing to do."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


async def test_migrations_match_the_models(gateway_database: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "alembic",
        "-c",
        str(ALEMBIC_INI),
        "check",
        cwd=ALEMBIC_INI.parent,
        env={**os.environ, "CRM_ALEMBIC_DATABASE_URL": gateway_database},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, output.decode()
