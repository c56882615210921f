"""The whole platform as local processes: one uvicorn per service plus the gateway.

``Stack`` needs a PostgreSQL admin URL and a NATS URL (embedded or not); it creates one
database per service, migrates each with Alembic, starts each app and waits for
``GET /readyz``. Used by ``crm-local run`` and by end-to-end tests. ``supervise()``,
called in a loop, starts again an app whose process ended (a crash, a kill -9), with a
growing pause when it keeps failing before it is ready, and says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from crm_local.migrations import WORKSPACE_ALEMBIC_INI, MigrationError, alembic_upgrade
from crm_local.ports import LOCALHOST, port_is_open
from crm_local.postgres import create_database, database_url

log = logging.getLogger("crm_local.stack")


@dataclass(frozen=True)
class ServiceSpec:
    """How to run one app of the platform."""

    name: str  # short name: contacts, ..., gateway
    app: str  # uvicorn factory, "package.main:create_app"
    default_port: int
    #: The app's Alembic configuration (a relative path is taken from the repo root) and
    #: its section there; the workspace's one ini holds a section per app.
    alembic_ini: Path = WORKSPACE_ALEMBIC_INI
    alembic_section: str | None = None
    #: An app that runs on another app's settings and database (the webhook dispatcher
    #: on the gateway's): that app's name.
    settings_of: str | None = None
    #: More uvicorn options (the gateway's own HTTP protocol).
    uvicorn_args: tuple[str, ...] = ()

    @property
    def env_prefix(self) -> str:
        """Prefix of the app's settings, e.g. ``CRM_CONTACTS_``."""
        return f"CRM_{(self.settings_of or self.name).upper()}_"


SERVICES: tuple[ServiceSpec, ...] = tuple(
    ServiceSpec(name, f"{name}_service.main:create_app", port, alembic_section=name)
    for name, port in (
        ("contacts", 8101),
        ("sales", 8102),
        ("marketing", 8103),
        ("support", 8104),
        ("analytics", 8105),
    )
)
GATEWAY = ServiceSpec(
    "gateway",
    "crm_gateway.main:create_app",
    8000,
    alembic_section="gateway",
    # uvicorn's httptools with the edge's size limits, answered as problem+json.
    uvicorn_args=("--http", "crm_gateway.limits.server:EdgeHttpToolsProtocol"),
)
#: The webhook dispatcher: its own process on the gateway's settings and database.
DISPATCHER = ServiceSpec(
    "webhooks", "crm_gateway.dispatcher:create_app", 8106, settings_of="gateway"
)
ALL_APPS: tuple[ServiceSpec, ...] = (*SERVICES, GATEWAY, DISPATCHER)


#: Pause before restarting an app that failed again before it became ready, by how many
#: times in a row; the first restart of an app that was serving is immediate.
RESTART_BACKOFF_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)


@dataclass
class _Restarts:
    """An app's restarts: how many, and the one under way."""

    total: int = 0
    failures: int = 0  # exits in a row without becoming ready in between
    due: float | None = None  # monotonic time of the next start, while one is scheduled
    waiting_ready: bool = False


class StackError(RuntimeError):
    """A database, migration or process of the stack failed; the message holds its log."""


def find_repo_root(start: Path | None = None) -> Path:
    """The nearest parent of ``start`` (default CWD) whose pyproject.toml is a uv workspace.

    Falls back to the workspace this package is installed from, then to ``start``.
    """
    here = (start or Path.cwd()).resolve()
    for base in (here, Path(__file__).resolve()):
        for folder in (base, *base.parents):
            pyproject = folder / "pyproject.toml"
            if pyproject.is_file() and "[tool.uv.workspace]" in pyproject.read_text():
                return folder
    return here


class Stack:
    """Starts, watches and stops the platform's processes."""

    def __init__(
        self,
        postgres_url: str,
        nats_url: str,
        *,
        repo_root: Path | None = None,
        ports: Mapping[str, int] | None = None,
        jwt_secret: str | None = None,
        bootstrap_api_key: str | None = None,
        log_dir: Path | None = None,
        apps: Sequence[ServiceSpec] = ALL_APPS,
        db_prefix: str = "crm_",
        extra_env: Mapping[str, str] | None = None,
        ready_timeout: float = 90.0,
        data_dir: Path | None = None,
        key_set: bool = False,
    ) -> None:
        """Describe the stack; nothing runs until ``start()``.

        ``postgres_url`` is an admin URL (``postgresql://``) of the server holding every
        database; ``ports`` overrides the default port by app name; ``db_prefix`` names
        the databases (``crm_contacts`` ...), tests pass a unique one; ``apps`` selects the
        apps (default: five services, the gateway and the webhook dispatcher);
        ``extra_env`` is added to every child's environment; ``data_dir`` holds the files
        the apps keep (``CRM_DATA_DIR``; default: beside ``log_dir``, so a test stack never
        shares ``make run``'s). ``key_set``: the gateway signs tokens with its rotating
        RS256 key set and the services verify them against its ``/.well-known/jwks.json``
        (fetched when a token names a key they do not know yet, so a service may start
        before the gateway); no secret is shared, each app's ``CRM_JWT_SECRET`` (its own
        signed links) being derived from ``jwt_secret`` and its name. Without it, every
        app shares ``jwt_secret`` (HS256).
        """
        self.postgres_url = postgres_url
        self.nats_url = nats_url
        self.repo_root = (repo_root or find_repo_root()).resolve()
        self.apps = tuple(apps)
        self.ports = {a.name: (ports or {}).get(a.name, a.default_port) for a in self.apps}
        self.jwt_secret = jwt_secret or secrets.token_urlsafe(32)
        self.bootstrap_api_key = bootstrap_api_key
        self.log_dir = (log_dir or self.repo_root / ".data" / "logs").resolve()
        self.data_dir = (data_dir or self.log_dir.parent / "data").resolve()
        self.db_prefix = db_prefix
        self.extra_env = dict(extra_env or {})
        self.ready_timeout = ready_timeout
        self.key_set = key_set
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        #: Apps the last ``stop()`` had to kill: they did not exit on SIGTERM in time.
        self.killed: list[str] = []
        self._logs: dict[str, IO[bytes]] = {}
        self._restarts: dict[str, _Restarts] = {a.name: _Restarts() for a in self.apps}

    # -- addresses ---------------------------------------------------------------------

    @property
    def urls(self) -> dict[str, str]:
        """Base URL of every app by name."""
        return {name: f"http://{LOCALHOST}:{port}" for name, port in self.ports.items()}

    @property
    def gateway_url(self) -> str:
        """Base URL of the gateway."""
        return self.urls[GATEWAY.name]

    def database_name(self, app: ServiceSpec) -> str:
        """Name of the app's database, e.g. ``crm_contacts`` (the dispatcher: the gateway's)."""
        return f"{self.db_prefix}{app.settings_of or app.name}"

    def database_url(self, app: ServiceSpec) -> str:
        """SQLAlchemy (``postgresql+asyncpg://``) URL of the app's database."""
        return database_url(self.postgres_url, self.database_name(app))

    @property
    def pids(self) -> dict[str, int]:
        """Process id of every app process still alive."""
        return {name: p.pid for name, p in self._procs.items() if p.poll() is None}

    def log_file(self, name: str) -> Path:
        """Log file of app ``name`` (its migrations log to ``<name>.migrate.log``)."""
        return self.log_dir / f"{name}.log"

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Stack:
        """Prepare databases, start every app and wait until all are ready.

        On failure everything started is stopped and StackError is raised.
        """
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.prepare_databases()
            for app in self.apps:
                self._launch(app)
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def prepare_databases(self) -> None:
        """Create each app's database if missing and migrate it to head."""
        owners = [app for app in self.apps if app.settings_of is None]
        for app in owners:
            if create_database(self.postgres_url, self.database_name(app)):
                log.info("created database %s", self.database_name(app))
        # Alembic runs are mostly interpreter start-up: two at a time halves the wait.
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(self.migrate, owners))

    def migrate(self, app: ServiceSpec) -> None:
        """Run ``alembic [-n <section>] upgrade heads`` for ``app``."""
        ini = self.repo_root / app.alembic_ini
        try:
            output = alembic_upgrade(
                ini, self.database_url(app), section=app.alembic_section, env=self.env_for(app)
            )
        except MigrationError as exc:
            (self.log_dir / f"{app.name}.migrate.log").write_text(str(exc))
            raise StackError(f"migrating {app.name} failed: {exc}") from None
        (self.log_dir / f"{app.name}.migrate.log").write_text(output)

    def env_for(self, app: ServiceSpec) -> dict[str, str]:
        """The environment of ``app``'s process."""
        env = dict(os.environ)
        services = {
            a.name: self.urls[a.name]
            for a in self.apps
            if a.name != GATEWAY.name and a.settings_of is None
        }
        env |= {
            "PYTHONUNBUFFERED": "1",
            "CRM_NATS_URL": self.nats_url,
            "CRM_JWT_SECRET": self.jwt_secret,
            "CRM_DATA_DIR": str(self.data_dir),
            # Calls between services (support's screen-pop asks contacts); below, the links
            # in mail (tracking, unsubscribe, surveys) go to the gateway.
            "CRM_SERVICE_URLS": json.dumps(services),
            f"{app.env_prefix}DATABASE_URL": self.database_url(app),
        }
        if self.key_set and GATEWAY.name in self.urls:
            owner = app.settings_of or app.name  # the dispatcher holds the gateway's
            env["CRM_JWT_SECRET"] = hmac.new(
                self.jwt_secret.encode(), owner.encode(), hashlib.sha256
            ).hexdigest()
            if owner == GATEWAY.name:
                env["CRM_GATEWAY_TOKEN_ALGORITHM"] = "RS256"
            else:
                env["CRM_JWT_JWKS_URL"] = f"{self.gateway_url}/.well-known/jwks.json"
        if GATEWAY.name in self.urls:
            env["CRM_MARKETING_PUBLIC_BASE_URL"] = env["CRM_SUPPORT_PUBLIC_URL"] = self.gateway_url
        for name, url in services.items():  # the gateway's upstreams; support's contacts
            env[f"{app.env_prefix}{name.upper()}_URL"] = url
        if app.name == GATEWAY.name and self.bootstrap_api_key:
            env["CRM_BOOTSTRAP_API_KEY"] = self.bootstrap_api_key
        return env | self.extra_env

    def wait_ready(self) -> None:
        """Block until every app answers ``GET /readyz`` with 200.

        Raises StackError (with the log tail) as soon as an app exits, or at the deadline.
        """
        pending = {app.name for app in self.apps}
        deadline = time.monotonic() + self.ready_timeout
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for name in sorted(pending):
                    code = self._procs[name].poll()
                    if code is not None:
                        raise StackError(
                            f"{name} exited with {code}:\n{_tail(self.log_file(name))}"
                        )
                    try:
                        ready = client.get(f"{self.urls[name]}/readyz").status_code == 200
                    except httpx.HTTPError:
                        ready = False
                    if ready:
                        pending.discard(name)
                        log.info("%s ready at %s", name, self.urls[name])
                if pending and time.monotonic() > deadline:
                    tails = "\n".join(f"--- {n}:\n{_tail(self.log_file(n))}" for n in pending)
                    raise StackError(f"not ready after {self.ready_timeout:.0f}s:\n{tails}")
                if pending:
                    time.sleep(0.2)

    def exited(self) -> dict[str, int]:
        """Apps whose process has ended, with their exit codes."""
        return {n: code for n, p in self._procs.items() if (code := p.poll()) is not None}

    def restarts(self, name: str) -> int:
        """How many times ``supervise()`` has started app ``name`` again."""
        return self._restarts[name].total

    def supervise(self) -> list[str]:
        """Restart every app whose process ended, and return one line per step taken.

        Call it in a loop (``crm-local run`` does, twice a second). An app that exits is
        started again at once if it had been serving, after a growing pause
        (``RESTART_BACKOFF_SECONDS``) if it fails again before it is ready; the lines say
        that it exited (with the status or signal and its log), that it was started
        again, and that it answers ``/readyz`` again.
        """
        lines = []
        now = time.monotonic()
        for name, code in self.exited().items():
            state = self._restarts[name]
            if state.due is not None:
                continue  # already scheduled
            delay = restart_pause(state.failures)
            state.failures += 1
            state.waiting_ready = False
            state.due = now + delay
            when = f" in {delay:.0f}s" if delay else ""
            lines.append(
                f"{name} {_exit_reason(code)}; restarting it{when} (log {self.log_file(name)})"
            )
        for app in self.apps:
            state = self._restarts[app.name]
            if state.due is not None and state.due <= now:
                try:
                    self._launch(app)
                except StackError as exc:  # its port is still held: try again later
                    state.due = now + RESTART_BACKOFF_SECONDS[0]
                    lines.append(f"{app.name} not restarted yet: {exc}")
                    continue
                state.due = None
                state.total += 1
                state.waiting_ready = True
                lines.append(
                    f"{app.name} restarted (pid {self._procs[app.name].pid}, restart {state.total})"
                )
            elif state.waiting_ready and self._answers_ready(app.name):
                state.waiting_ready = False
                state.failures = 0
                lines.append(f"{app.name} is back at {self.urls[app.name]}")
        return lines

    def _answers_ready(self, name: str) -> bool:
        try:
            return httpx.get(f"{self.urls[name]}/readyz", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM every app, wait up to ``timeout`` seconds, then kill what is left."""
        procs = {name: p for name, p in self._procs.items() if p.poll() is None}
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        self.killed = []
        for name, proc in procs.items():
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("killing %s (pid %s) after %.0fs", name, proc.pid, timeout)
                self.killed.append(name)
                proc.kill()
                proc.wait()
        self._procs.clear()
        for handle in self._logs.values():
            handle.close()
        self._logs.clear()
        for state in self._restarts.values():
            state.due, state.waiting_ready = None, False  # stopped apps stay stopped

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _launch(self, app: ServiceSpec) -> None:
        port = self.ports[app.name]
        if port_is_open(port):
            raise StackError(
                f"port {port} for {app.name} is already in use "
                "(a previous crm-local run? `crm-local stop` ends it)"
            )
        if (previous := self._logs.pop(app.name, None)) is not None:
            previous.close()
        handle = self.log_file(app.name).open("ab")
        handle.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} start =====\n".encode())
        handle.flush()
        self._logs[app.name] = handle
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            app.app,
            "--host",
            LOCALHOST,
            "--port",
            str(port),
            "--no-access-log",
            # "on", not "auto": a failing startup must end the process, not be ignored.
            "--lifespan",
            "on",
            "--timeout-graceful-shutdown",
            "10",
            *app.uvicorn_args,
        ]
        self._procs[app.name] = subprocess.Popen(
            cmd,
            cwd=self.repo_root,
            env=self.env_for(app),
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            # Own session: Ctrl-C goes to crm-local only, which then stops apps in order.
            start_new_session=True,
        )


def restart_pause(failures: int) -> float:
    """Seconds before the next start after ``failures`` exits in a row before ready."""
    if failures == 0:
        return 0.0
    return RESTART_BACKOFF_SECONDS[min(failures, len(RESTART_BACKOFF_SECONDS)) - 1]


def _exit_reason(code: int) -> str:
    """``exited with 3`` or ``was killed by SIGKILL`` (Popen's negative status)."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"exited with {code}"


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"
