"""``crm-local``: run the whole platform locally (``make run``) or stop a running one."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import secrets
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import psutil

from crm_local.mail_sink import MailSink
from crm_local.nats import EmbeddedNats
from crm_local.postgres import EmbeddedPostgres, PostgresError
from crm_local.stack import ALL_APPS, GATEWAY, Stack, StackError, find_repo_root

log = logging.getLogger("crm_local.cli")

DEFAULT_PG_PORT = 55432  # not 5432: never collide with a PostgreSQL already installed
DEFAULT_NATS_PORT = 54222  # not 4222, for the same reason
DEFAULT_SMTP_PORT = 54025  # the mail sink; crm_chassis.mail's default relay port
STATE_FILE = "crm-local.json"
#: Set on every app process started by `crm-local run`, so that leftovers of a killed run
#: are found without touching apps of other runs (e.g. an end-to-end test's Stack).
OWNER_ENV = "CRM_LOCAL_OWNER"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``crm-local`` console script; returns the exit code."""
    parser = argparse.ArgumentParser(prog="crm-local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start everything in the foreground; Ctrl-C stops it")
    commands.add_parser("stop", help="stop a running crm-local and anything it left behind")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per readiness poll
    root = find_repo_root()
    data = Path(os.environ.get("CRM_LOCAL_DATA_DIR") or root / ".data").resolve()
    if args.command == "run":
        return run(root, data)
    return stop(data)


def run(root: Path, data: Path) -> int:
    """Start PostgreSQL and NATS (unless URLs are given) and every app; block until stopped."""
    data.mkdir(parents=True, exist_ok=True)
    other = _running_cli(data)
    if other is not None:
        print(f"crm-local is already running (pid {other}); `crm-local stop` ends it.")
        return 1
    _end_leftovers(data)
    # SIGTERM cleans up like Ctrl-C; SIGINT is set explicitly because a shell starts
    # background jobs with it ignored.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    me = psutil.Process()
    (data / STATE_FILE).write_text(json.dumps({"pid": me.pid, "started": me.create_time()}))
    postgres: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    mail: MailSink | None = None
    stack: Stack | None = None
    code = 0
    try:
        pg_url = os.environ.get("CRM_DATABASE_URL")
        if not pg_url:
            postgres = EmbeddedPostgres(
                data / "postgres", _env_int("CRM_LOCAL_PG_PORT", DEFAULT_PG_PORT)
            )
            pg_url = postgres.start()
        nats_url = os.environ.get("CRM_NATS_URL")
        if not nats_url:
            nats = EmbeddedNats(data / "nats", _env_int("CRM_LOCAL_NATS_PORT", DEFAULT_NATS_PORT))
            nats_url = nats.start()
        smtp_env = {}
        if not os.environ.get("CRM_SMTP_HOST"):
            mail = MailSink(data / "mail", _env_int("CRM_LOCAL_SMTP_PORT", DEFAULT_SMTP_PORT))
            mail.start()
            smtp_env = {"CRM_SMTP_HOST": mail.host, "CRM_SMTP_PORT": str(mail.port)}
        stack = Stack(
            pg_url,
            nats_url,
            repo_root=root,
            ports={
                a.name: _env_int(f"CRM_LOCAL_{a.name.upper()}_PORT", a.default_port)
                for a in ALL_APPS
            },
            jwt_secret=_secret(
                data / "jwt-secret", "CRM_JWT_SECRET", lambda: secrets.token_urlsafe(48)
            ),
            bootstrap_api_key=_secret(
                data / "bootstrap-api-key",
                "CRM_BOOTSTRAP_API_KEY",
                lambda: "crm_" + secrets.token_urlsafe(32),
            ),
            log_dir=data / "logs",
            data_dir=data,
            extra_env={OWNER_ENV: str(data), **smtp_env},
            key_set=True,  # RS256 tokens, verified with the gateway's key set
        )
        stack.start()
        print(banner(stack, mail), flush=True)
        # Until stopped: an app that crashes is started again, and the output says so.
        while True:
            for line in stack.supervise():
                print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
    except (StackError, PostgresError, RuntimeError, TimeoutError) as exc:
        print(f"crm-local: {exc}", file=sys.stderr)
        code = 1
    finally:
        # A stop signal is delivered more than once (to the process group, and forwarded
        # by make or uv): the handler ignores every later one before it raises, but the
        # first can still land here, when an app exit brought us to the clean-up. Each
        # part stops idempotently, so an interrupted clean-up starts over, signals ignored.
        while True:
            try:
                _ignore_stop_signals()
                _shut_down(stack, nats, postgres)
                if mail is not None:
                    mail.stop()
                break
            except KeyboardInterrupt:
                continue
        (data / STATE_FILE).unlink(missing_ok=True)
    return code


def _shut_down(stack: Stack | None, nats: EmbeddedNats | None, pg: EmbeddedPostgres | None) -> None:
    """Stop the apps, then NATS, then PostgreSQL (each a no-op when already stopped)."""
    if stack is not None:
        stack.stop()
    if nats is not None:
        nats.stop()
    if pg is not None:
        pg.stop()


def stop(data: Path) -> int:
    """Stop a running ``crm-local run`` of this repository and anything a killed one left."""
    pid = _running_cli(data)
    if pid is not None:
        print(f"stopping crm-local (pid {pid}) ...")
        proc = psutil.Process(pid)
        proc.terminate()
        with contextlib.suppress(psutil.TimeoutExpired):
            proc.wait(90)
    _end_leftovers(data)
    EmbeddedNats(data / "nats").stop_leftover()
    if (data / "postgres" / "PG_VERSION").exists():
        EmbeddedPostgres(data / "postgres").stop()
    (data / STATE_FILE).unlink(missing_ok=True)
    return 0


def banner(stack: Stack, mail: MailSink | None = None) -> str:
    """What a developer needs once the platform is up."""
    gateway = stack.gateway_url
    key = stack.bootstrap_api_key or "<your api key>"
    payload = json.dumps({"api_key": key}, separators=(",", ":"))
    lines = [
        "",
        "CRM platform is up.",
        f"  {'gateway':<11} {gateway}",
        f"  {'API docs':<11} {gateway}/docs",
        *(f"  {n:<11} {u}" for n, u in stack.urls.items() if n != GATEWAY.name),
        f"  {'postgres':<11} {stack.postgres_url}",
        f"  {'nats':<11} {stack.nats_url}",
        *([f"  {'mail sink':<11} {mail.url}, every message kept in {mail.folder}"] if mail else []),
        f"  {'logs':<11} {stack.log_dir}",
        f"  {'API key':<11} {key}",
        "Get a token:",
        f"  curl -s -X POST {gateway}/v1/auth/token -H 'content-type: application/json' "
        f"-d '{payload}'",
        "Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Ignore first: a repeated SIGTERM pending now is then dropped by Python, not turned
    # into a second KeyboardInterrupt in the middle of the clean-up.
    _ignore_stop_signals()
    raise KeyboardInterrupt


def _ignore_stop_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _secret(path: Path, env_name: str, generate: Callable[[], str]) -> str:
    """The env var's value, else the one kept in ``path``, else a new one kept there."""
    value = os.environ.get(env_name)
    if value:
        return value
    if path.is_file() and (kept := path.read_text().strip()):
        return kept
    value = generate()
    path.touch(mode=0o600)
    path.write_text(value + "\n")
    return value


def _running_cli(data: Path) -> int | None:
    """Pid of a live ``crm-local run`` recorded in the state file, if any."""
    try:
        state = json.loads((data / STATE_FILE).read_text())
        proc = psutil.Process(int(state["pid"]))
        # Start time too: after a crash the recorded pid may belong to another process.
        if proc.pid == os.getpid() or abs(proc.create_time() - float(state["started"])) > 1:
            return None
    except (OSError, ValueError, KeyError, TypeError, psutil.Error):
        return None
    return proc.pid


def _end_leftovers(data: Path) -> None:
    """Terminate app processes left behind by a killed ``crm-local run`` on ``data``."""
    leftovers = []
    for proc in psutil.process_iter(["cmdline"]):
        if "uvicorn" not in (proc.info["cmdline"] or []):
            continue
        with contextlib.suppress(psutil.Error):
            if proc.environ().get(OWNER_ENV) == str(data):
                leftovers.append(proc)
    for proc in leftovers:
        log.warning("stopping leftover %s (pid %s)", " ".join(proc.info["cmdline"][-12:]), proc.pid)
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(leftovers, timeout=15)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
