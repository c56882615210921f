"""One service under uvicorn for a benchmark that calls its API: a child process on a free
port with no background work (no relay, consumers or jobs; NATS is pointed at a closed
port on purpose, the reads never touch it), stopped at the end."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator

HOST = "127.0.0.1"


@contextlib.contextmanager
def api_only(service: str, db_url: str, jwt_secret: str) -> Iterator[int]:
    """``<service>_service`` serving on the port it yields, on the database ``db_url``."""
    from crm_local.ports import free_port, port_is_open

    port, dead_nats = free_port(), free_port()
    prefix = f"CRM_{service.upper()}_"
    env = os.environ | {
        f"{prefix}DATABASE_URL": db_url,
        f"{prefix}RUN_BACKGROUND": "false",
        "CRM_NATS_URL": f"nats://{HOST}:{dead_nats}",
        "CRM_JWT_SECRET": jwt_secret,
        "CRM_LOG_LEVEL": "ERROR",
    }
    cmd = [
        sys.executable, "-m", "uvicorn", f"{service}_service.main:create_app", "--factory",
        "--host", HOST, "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not port_is_open(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the {service} app did not start")
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
