"""Stack, driven with a tiny stand-in app instead of the real services."""

import os
import signal
import time
import uuid
from pathlib import Path

import httpx
import pytest
from crm_local.ports import free_ports, port_is_open
from crm_local.postgres import run_sql
from crm_local.stack import (
    RESTART_BACKOFF_SECONDS,
    ServiceSpec,
    Stack,
    StackError,
    find_repo_root,
    restart_pause,
)

from .conftest import FIXTURES, TINY_SERVICE


def tiny_stack(postgres_url: str, nats_url: str, logs: Path, *factories: str) -> Stack:
    names = ["tiny", "gateway"][: len(factories)]
    ports = free_ports(len(names))
    apps = [
        ServiceSpec(name, f"tiny_app:{factory}", 0, alembic_ini=TINY_SERVICE / "alembic.ini")
        for name, factory in zip(names, factories, strict=True)
    ]
    return Stack(
        postgres_url,
        nats_url,
        apps=apps,
        ports=dict(zip(names, ports, strict=True)),
        jwt_secret="s3cret",
        bootstrap_api_key="crm_testkey",
        log_dir=logs,
        db_prefix=f"stk{uuid.uuid4().hex[:6]}_",
        extra_env={"PYTHONPATH": str(TINY_SERVICE)},
        ready_timeout=30,
    )


def test_stack_prepares_databases_starts_and_stops(
    postgres_url: str, nats_url: str, scratch: Path
) -> None:
    stack = tiny_stack(postgres_url, nats_url, scratch, "create_app", "create_app")
    with stack:
        tiny_env = httpx.get(f"{stack.urls['tiny']}/env").json()
        gateway_env = httpx.get(f"{stack.gateway_url}/env").json()
        pids = stack.pids
    assert tiny_env["CRM_NATS_URL"] == nats_url
    assert tiny_env["CRM_JWT_SECRET"] == "s3cret"
    assert tiny_env["CRM_TINY_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert tiny_env["CRM_TINY_DATABASE_URL"].endswith(f"/{stack.db_prefix}tiny")
    assert "CRM_BOOTSTRAP_API_KEY" not in tiny_env
    assert gateway_env["CRM_GATEWAY_TINY_URL"] == stack.urls["tiny"]
    assert gateway_env["CRM_BOOTSTRAP_API_KEY"] == "crm_testkey"
    assert gateway_env["CRM_GATEWAY_DATABASE_URL"].endswith(f"/{stack.db_prefix}gateway")

    # Migrations ran in each app's database.
    tiny_db = postgres_url.rsplit("/", 1)[0] + f"/{stack.db_prefix}tiny"
    assert run_sql(tiny_db, "SELECT version_num FROM alembic_version") == "0001"

    assert set(pids) == {"tiny", "gateway"}
    assert stack.pids == {}
    assert stack.killed == []  # both exited on SIGTERM
    assert not any(port_is_open(p) for p in stack.ports.values())
    assert (scratch / "tiny.log").exists()
    assert (scratch / "tiny.migrate.log").exists()


def test_stack_reports_an_app_that_dies(postgres_url: str, nats_url: str, scratch: Path) -> None:
    stack = tiny_stack(postgres_url, nats_url, scratch, "create_broken_app")
    with pytest.raises(StackError, match="CRM_TINY_SETTING is missing"):
        stack.start()
    assert stack.pids == {}


def test_find_repo_root() -> None:
    root = find_repo_root(FIXTURES)
    assert (root / "pyproject.toml").read_text().count("[tool.uv.workspace]") == 1
    assert (root / "deploy" / "local").is_dir()


def test_stack_restarts_an_app_killed_with_sigkill(
    postgres_url: str, nats_url: str, scratch: Path
) -> None:
    stack = tiny_stack(postgres_url, nats_url, scratch, "create_app", "create_app")
    with stack:
        before = stack.pids
        os.kill(before["tiny"], signal.SIGKILL)
        lines = supervise_until(stack, "tiny is back")
        assert httpx.get(f"{stack.urls['tiny']}/readyz").status_code == 200
        after = stack.pids
        assert after["tiny"] != before["tiny"]
        assert after["gateway"] == before["gateway"]  # the others were left alone
        assert stack.restarts("tiny") == 1 and stack.restarts("gateway") == 0
    assert [line.split(" (")[0] for line in lines] == [
        "tiny was killed by SIGKILL; restarting it",
        "tiny restarted",
        f"tiny is back at {stack.urls['tiny']}",
    ]
    assert stack.pids == {}
    assert stack.supervise() == []  # stopped apps are not started again


def test_an_app_failing_again_before_it_is_ready_is_restarted_after_a_pause() -> None:
    assert [restart_pause(n) for n in range(7)] == [0.0, *RESTART_BACKOFF_SECONDS, 30.0]


def supervise_until(stack: Stack, last: str, timeout: float = 60.0) -> list[str]:
    """``stack.supervise()`` in a loop until a line starts with ``last``; every line."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while not any(line.startswith(last) for line in lines):
        assert time.monotonic() < deadline, f"no {last!r} after {timeout}s: {lines}"
        lines += stack.supervise()
        time.sleep(0.1)
    return lines
