"""PostgreSQL 16 from the ``pgserver`` wheel, driven directly with initdb and pg_ctl.

``pgserver.get_server`` is not used: it listens on a unix socket only and stops the server
from an atexit hook. Here the server listens on 127.0.0.1:PORT (plus a unix socket in a
short directory), keeps running until ``stop()`` and is reused when already running.
"""

from __future__ import annotations

import contextlib
import hashlib
import locale
import logging
import os
import re
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil

with warnings.catch_warnings():
    # Importing pgserver builds its (unused here) server class, which warns about
    # XDG_RUNTIME_DIR on machines without one.
    warnings.simplefilter("ignore")
    from pgserver._commands import POSTGRES_BIN_PATH

from crm_local.ports import LOCALHOST, free_port, wait_for_port

log = logging.getLogger("crm_local.postgres")

#: PostgreSQL refuses to run as root, so as root initdb/pg_ctl run as this system user
#: (the same one pgserver itself creates).
SYSTEM_USER = "pgserver"
#: Our settings live in their own file, included from postgresql.conf and rewritten on
#: every start, so a changed port or ``fast`` flag takes effect.
CONF_FILE = "crm_local.conf"
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PostgresError(RuntimeError):
    """initdb, pg_ctl or psql failed; the message holds their output."""


class EmbeddedPostgres:
    """One PostgreSQL cluster in ``data_dir`` (the PGDATA directory itself)."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        fast: bool = False,
        max_connections: int = 300,
    ) -> None:
        """Describe the cluster; nothing runs until ``start()``.

        ``port=None`` picks a free port at start. ``fast=True`` trades durability for
        speed (fsync, synchronous_commit and full_page_writes off): for tests only.
        """
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.port = port
        self.fast = fast
        self.max_connections = max_connections
        self.log_file = self.data_dir / "server.log"
        # The default socket path (inside PGDATA) can exceed the 107-byte AF_UNIX limit.
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:10]
        self.socket_dir = Path(tempfile.gettempdir()) / f"crm-pg-{digest}"

    @property
    def url(self) -> str:
        """Admin URL (plain libpq form) of the server."""
        if self.port is None:
            raise RuntimeError("EmbeddedPostgres has not been started")
        return f"postgresql://postgres@{LOCALHOST}:{self.port}/postgres"

    def is_running(self) -> bool:
        """True when a postmaster is alive for this data directory."""
        return _running_postmaster(self.data_dir) is not None

    def start(self, *, timeout: float = 60.0) -> str:
        """Initialise the cluster if needed, start it (or reuse a running one), return its URL."""
        running = _running_postmaster(self.data_dir)
        if running is not None:
            pid, port = running
            if self.port is not None and port != self.port:
                log.warning("reusing postgres pid %s on port %s, not %s", pid, port, self.port)
            self.port = port
            wait_for_port(port, timeout=timeout)
            log.info("reusing running postgres (pid %s) on port %s", pid, port)
            return self.url
        if self.port is None:
            self.port = free_port()
        self._prepare_dirs()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        self._write_conf()
        args = ["start", "-w", "-t", str(int(timeout)), "-l", str(self.log_file)]
        try:
            self._pg_ctl(*args, timeout=timeout + 10)
        except PostgresError as exc:
            raise PostgresError(f"{exc}\n--- {self.log_file} ---\n{self.log_tail()}") from None
        wait_for_port(self.port, timeout=timeout)
        log.info("postgres started on port %s (data %s)", self.port, self.data_dir)
        return self.url

    def stop(self, *, timeout: float = 60.0) -> None:
        """Stop the server (fast shutdown: open sessions are cut); no-op when not running."""
        running = _running_postmaster(self.data_dir)
        if running is None:
            return
        try:
            self._pg_ctl("stop", "-m", "fast", "-w", "-t", str(int(timeout)), timeout=timeout + 10)
        except (PostgresError, subprocess.TimeoutExpired):
            log.warning("pg_ctl stop failed; killing postmaster %s", running[0])
            with contextlib.suppress(psutil.Error):
                psutil.Process(running[0]).kill()
        # The socket directory lives in /tmp; remove it once the server has left it empty.
        with contextlib.suppress(OSError):
            self.socket_dir.rmdir()

    def create_database(self, name: str) -> bool:
        """Create database ``name`` unless it exists; True when it was created."""
        return create_database(self.url, name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, cutting its open connections."""
        drop_database(self.url, name)

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server log, for error messages."""
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- internals ---------------------------------------------------------------------

    def _prepare_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.chmod(0o755)
        owner = _system_owner()
        if owner is None:
            return
        # pgserver's own helpers: make every parent traversable and the binaries readable
        # for the unprivileged user, then hand it the data and socket directories.
        from pgserver.utils import ensure_prefix_permissions

        ensure_prefix_permissions(self.data_dir)
        _ensure_binaries_usable()
        for path in (self.data_dir, self.socket_dir):
            os.chown(path, *owner)

    def _initdb(self) -> None:
        log.info("initdb %s", self.data_dir)
        # Byte-order collation (fast, deterministic); a UTF-8 ctype so lower()/ILIKE work
        # beyond ASCII. This pgserver build has no ICU.
        _run(
            [
                str(POSTGRES_BIN_PATH / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                f"--lc-ctype={_utf8_ctype()}",
            ],
            cwd=self.data_dir,
            timeout=120,
            **_as_system_user(),
        )
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"\ninclude_if_exists = '{CONF_FILE}'\n")

    def _write_conf(self) -> None:
        settings: dict[str, str] = {
            "listen_addresses": f"'{LOCALHOST}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "max_connections": str(self.max_connections),
            "timezone": "'UTC'",
            "log_timezone": "'UTC'",
        }
        if self.fast:
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        conf = self.data_dir / CONF_FILE
        conf.write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))
        owner = _system_owner()
        if owner is not None:
            os.chown(conf, *owner)

    def _pg_ctl(self, *args: str, timeout: float) -> str:
        return _run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), *args],
            cwd=self.data_dir,
            timeout=timeout,
            start_new_session=True,  # Ctrl-C in our terminal must not reach the postmaster
            **_as_system_user(),
        )


# -- SQL helpers usable against any server ------------------------------------------------


def run_sql(admin_url: str, sql: str, *, timeout: float = 60.0) -> str:
    """Run ``sql`` with the bundled psql against ``admin_url``; return unaligned output."""
    return _run(
        [
            str(POSTGRES_BIN_PATH / "psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            libpq_url(admin_url),
            "-c",
            sql,
        ],
        timeout=timeout,
    ).strip()


def create_database(admin_url: str, name: str) -> bool:
    """Create database ``name`` on the server of ``admin_url`` unless it exists.

    Returns True when it was created. Safe against a concurrent creator.
    """
    _check_name(name)
    if run_sql(admin_url, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
        return False
    try:
        run_sql(admin_url, f'CREATE DATABASE "{name}"')
    except PostgresError as exc:
        if "already exists" in str(exc):
            return False
        raise
    return True


def drop_database(admin_url: str, name: str) -> None:
    """Drop database ``name`` if it exists, terminating its connections (PostgreSQL 13+)."""
    _check_name(name)
    run_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(admin_url: str, name: str, *, driver: str | None = "asyncpg") -> str:
    """The URL of database ``name`` on the server of ``admin_url``.

    ``driver="asyncpg"`` gives the SQLAlchemy form ``postgresql+asyncpg://``; ``None``
    gives plain ``postgresql://``. Credentials and query parameters are kept.
    """
    parts = urlsplit(libpq_url(admin_url))
    scheme = f"postgresql+{driver}" if driver else "postgresql"
    return urlunsplit((scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def libpq_url(url: str) -> str:
    """Strip a SQLAlchemy driver suffix (``postgresql+asyncpg://``) so libpq accepts the URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    return urlunsplit((scheme, *parts[1:]))


# -- internals ------------------------------------------------------------------------------


def _check_name(name: str) -> None:
    # Names are interpolated into SQL, so only plain identifiers are allowed.
    if not _NAME_RE.match(name):
        raise ValueError(f"invalid database name: {name!r}")


def _run(cmd: list[str], *, timeout: float, **kwargs: Any) -> str:
    # Output goes to a temporary file, not a pipe: pg_ctl's postmaster may inherit a pipe
    # and keep it open, which makes communicate() hang.
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, **kwargs)
        out.seek(0)
        output = out.read()
    if proc.returncode != 0:
        shown = " ".join(cmd[:1] + [a for a in cmd[1:] if not a.startswith("postgresql")])
        raise PostgresError(f"{shown} exited with {proc.returncode}:\n{output}")
    return output


def _running_postmaster(data_dir: Path) -> tuple[int, int] | None:
    """(pid, port) of a live postmaster for ``data_dir``, from its postmaster.pid."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
        # A stale file may name a recycled pid: check the process is a postgres.
        if "postgres" not in psutil.Process(pid).name():
            return None
    except (OSError, IndexError, ValueError, psutil.Error):
        return None
    return pid, port


def _system_owner() -> tuple[int, int] | None:
    """(uid, gid) of the unprivileged user when we run as root, else None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    from pgserver.utils import ensure_user_exists

    entry = ensure_user_exists(SYSTEM_USER)
    assert entry is not None
    return entry.pw_uid, entry.pw_gid


def _as_system_user() -> dict[str, Any]:
    owner = _system_owner()
    if owner is None:
        return {}
    # group and extra_groups too: user= alone would keep root's groups.
    return {"user": owner[0], "group": owner[1], "extra_groups": []}


_binaries_checked = False


def _ensure_binaries_usable() -> None:
    global _binaries_checked
    if _binaries_checked:
        return
    import stat

    from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions

    read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, read | execute)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", read)
    _binaries_checked = True


def _utf8_ctype() -> str:
    """A UTF-8 locale installed on this machine for LC_CTYPE, else ``C``."""
    saved = locale.setlocale(locale.LC_CTYPE)
    try:
        for candidate in ("C.UTF-8", "C.utf8", "en_US.UTF-8", "en_US.utf8"):
            try:
                locale.setlocale(locale.LC_CTYPE, candidate)
            except locale.Error:
                continue
            return candidate
        return "C"
    finally:
        locale.setlocale(locale.LC_CTYPE, saved)
