"""Fault tests: a PostgreSQL of the test's own (paused, resumed) and contacts-service as a
separate process (killed with SIGKILL, restarted), on the session's NATS."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID, uuid4

import psutil
import pytest
from crm_chassis.auth import Actor, issue_token
from crm_chassis.settings import SharedSettings
from crm_local.migrations import alembic_upgrade
from crm_local.nats import EmbeddedNats
from crm_local.ports import free_port, wait_for_port
from crm_local.postgres import EmbeddedPostgres, database_url

ROOT = Path(__file__).resolve().parents[2]
JWT_SECRET = "faults-" + uuid4().hex


class Postgres:
    """An embedded PostgreSQL whose processes the test can pause and resume."""

    def __init__(self, base: Path) -> None:
        self.server = EmbeddedPostgres(base / "data", fast=True)
        self.admin_url = self.server.start()

    def processes(self) -> list[psutil.Process]:
        pid = int((self.server.data_dir / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
        return [postmaster, *postmaster.children(recursive=True)]

    def pause(self) -> None:
        """SIGSTOP the postmaster and every backend: the server stops answering."""
        for proc in self.processes():
            with contextlib.suppress(psutil.Error):
                proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        for proc in self.processes():
            with contextlib.suppress(psutil.Error):
                proc.send_signal(signal.SIGCONT)


class ContactsProcess:
    """contacts-service under uvicorn as a child process, on a fixed port across restarts."""

    def __init__(self, db_url: str, nats_url: str, workdir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {
            "CRM_CONTACTS_DATABASE_URL": db_url,
            "CRM_NATS_URL": nats_url,
            "CRM_JWT_SECRET": JWT_SECRET,
            "CRM_CONTACTS_STORAGE_PATH": str(workdir / "objects"),
            "CRM_CONTACTS_IMPORTS_PATH": str(workdir / "imports"),
            "CRM_LOG_LEVEL": "WARNING",
            **env,
        }
        self.log = workdir / "contacts.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "contacts_service.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--no-access-log",
        ]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=out, stderr=out)
        wait_for_port(self.port, timeout=60)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when a machine or container dies."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def workdir() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="crm-faults-"))
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres(workdir: Path) -> Iterator[Postgres]:
    server = Postgres(workdir)
    try:
        yield server
    finally:
        server.resume()  # a failed test must not leave it stopped
        server.server.stop()


@pytest.fixture
def own_nats(workdir: Path) -> Iterator[EmbeddedNats]:
    """A nats-server of the test's own, to stop and start again (same port and store)."""
    server = EmbeddedNats(workdir / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def contacts_db(postgres: Postgres) -> str:
    postgres.server.create_database("crm_contacts")
    url = database_url(postgres.admin_url, "crm_contacts")
    alembic_upgrade(ROOT / "alembic.ini", url, section="contacts")
    return url


@pytest.fixture
def start_contacts(
    contacts_db: str, nats_url: str, workdir: Path
) -> Iterator[Callable[..., ContactsProcess]]:
    """``start_contacts(**env)``: contacts-service started on the test's database
    (``CRM_NATS_URL`` among ``env`` replaces the session's NATS)."""
    started: list[ContactsProcess] = []

    def start(**env: str) -> ContactsProcess:
        service = ContactsProcess(contacts_db, nats_url, workdir, **env)
        started.append(service)
        service.start()
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture
def tenant() -> UUID:
    """A new tenant: what a test counts in the shared stream is its own."""
    return uuid4()


@pytest.fixture
def auth(tenant: UUID) -> dict[str, str]:
    """Authorization of a user with every scope, of the test's tenant."""
    actor = Actor(tenant_id=tenant, user_id=uuid4(), scopes=frozenset({"*"}))
    token = issue_token(actor, SharedSettings(jwt_secret=JWT_SECRET))
    return {"Authorization": f"Bearer {token}"}
