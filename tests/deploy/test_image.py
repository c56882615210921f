"""The one image: multi-stage, non-root, no build tools in the final stage, a health
check, the worker count from the environment, every app and its migrations in it."""

from __future__ import annotations

import configparser
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from . import image_build
from .conftest import ROOT
from .manifests import workloads
from .settings_env import app_settings_classes

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def stages() -> list[str]:
    """The Dockerfile's stages, each from its FROM line on (comments dropped)."""
    lines = [line for line in DOCKERFILE.splitlines() if not line.lstrip().startswith("#")]
    text = "\n".join(lines)
    return ["FROM" + part for part in re.split(r"^FROM", text, flags=re.M)[1:]]


def version_locations() -> dict[str, str]:
    """Each app's revisions folder, relative to the repository (from alembic.ini)."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(ROOT / "alembic.ini")
    return {
        section: ini[section]["version_locations"].replace("%(here)s/", "")
        for section in ini.sections()
        if "version_locations" in ini[section]
    }


def test_the_final_stage_runs_as_a_user_with_a_health_check_and_no_build_tools():
    build, final = stages()
    assert " AS build" in build.splitlines()[0]
    assert re.search(r"^USER 10001", final, re.M)
    assert "HEALTHCHECK" in final and "/healthz" in final
    assert "WEB_CONCURRENCY" in final  # uvicorn's worker count, from the environment
    assert "uv sync" not in final and "pip install" not in final
    assert "apt-get" not in final and "gcc" not in final
    assert "pip uninstall --yes --quiet pip setuptools wheel" in final
    assert "COPY . " not in final  # only the environment and the migrations


def test_every_app_and_its_migrations_are_in_the_image():
    build, final = stages()
    packages = set(re.findall(r"--package (\S+)", build))
    for section, folder in version_locations().items():
        migrations = folder.removesuffix("/versions")
        assert f"COPY --from=build /app/{migrations} /app/{migrations}" in final, section
        project = (ROOT / migrations).parent / "pyproject.toml"
        name = re.search(r'^name = "([^"]+)"', project.read_text(), re.M)
        assert name and name.group(1) in packages, f"{section}: not installed in the image"
    assert "COPY --from=build /app/alembic.ini /app/" in final
    assert "COPY --from=build /app/services/migrations /app/services/migrations" in final
    assert set(version_locations()) == set(app_settings_classes())


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    """The final stage's /app: built from the build context, offline (no engine here)."""
    ctx = image_build.context(tmp_path_factory.mktemp("context"))
    image_build.build_stage(ctx)
    return image_build.final_stage(ctx, tmp_path_factory.mktemp("app"))


def test_the_image_holds_every_app_and_nothing_of_the_dev_stack(image, rendered):
    python = image / ".venv" / "bin" / "python"
    modules = set()
    for objects in rendered.values():
        for workload in workloads(objects):
            container = workload.app_container
            if container is not None:
                command = container["command"]
                modules.add(command[command.index("--factory") + 1].split(":")[0])
    absent = ["crm_local", "crm_testing", "crm_cli", "pgserver", "pytest", "uv", "pip"]
    script = (
        "import importlib.util as u, sys; "
        f"missing = [m for m in {sorted(modules)!r} if u.find_spec(m) is None]; "
        f"present = [m for m in {absent!r} if u.find_spec(m) is not None]; "
        "print(missing, present); sys.exit(bool(missing or present))"
    )
    done = subprocess.run([str(python), "-c", script], capture_output=True, text=True, cwd="/")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_migrations_run_from_what_the_image_holds(image):
    """Every app's Alembic heads, with the image's environment and files only."""
    python = image / ".venv" / "bin" / "python"
    script = (
        "import sys\n"
        "from alembic.config import Config\n"
        "from alembic.script import ScriptDirectory\n"
        "for section in sys.argv[2:]:\n"
        "    config = Config(sys.argv[1], ini_section=section)\n"
        "    print(section, len(ScriptDirectory.from_config(config).get_heads()))\n"
    )
    sections = list(version_locations())
    done = subprocess.run(
        [str(python), "-c", script, str(image / "alembic.ini"), *sections],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert done.returncode == 0, done.stderr
    counts = dict(line.split() for line in done.stdout.splitlines())
    assert set(counts) == set(sections) and all(int(n) >= 1 for n in counts.values()), counts


def test_the_build_context_leaves_out_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".git", ".data", ".venv", ".tools", "**/__pycache__"):
        assert path in ignored


def healthcheck() -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    (command,) = re.findall(r"^HEALTHCHECK .*?CMD (\[.*\])$", joined, re.M)
    return list(json.loads(command))


def test_the_health_check_asks_healthz_on_the_configured_port():
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    program, *args = healthcheck()
    assert program == "python"  # the image's; here this interpreter stands in for it
    command = [sys.executable, *args]
    env = {"UVICORN_PORT": str(port), "PATH": "/usr/bin:/bin"}
    try:
        assert subprocess.run(command, env=env, capture_output=True).returncode == 0
    finally:
        server.shutdown()
        server.server_close()
    # Nothing answers any more: the check fails (and Docker marks the container unhealthy).
    assert subprocess.run(command, env=env, capture_output=True).returncode != 0


def image_env() -> dict[str, str]:
    """The final stage's ENV (the last ENV instruction), as the container gets it."""
    joined = DOCKERFILE.replace("\\\n", " ")
    *_, last = re.findall(r"^ENV (.*)$", joined, re.M)
    return dict(pair.split("=", 1) for pair in last.split())


TINY_APP = """
def create_app():
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
    return app
"""


def test_uvicorn_takes_its_port_and_worker_count_from_the_environment(tmp_path):
    (tmp_path / "tiny.py").write_text(TINY_APP)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | image_env() | {"UVICORN_PORT": str(port), "UVICORN_HOST": "127.0.0.1"}
    env |= {"WEB_CONCURRENCY": "2", "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    assert image_env()["WEB_CONCURRENCY"] == "1" and image_env()["UVICORN_HOST"] == "0.0.0.0"
    server = subprocess.Popen(
        ["uvicorn", "--factory", "tiny:create_app"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        started = []
        assert server.stdout is not None
        for line in server.stdout:
            if "Started server process" in line:
                started.append(line)
            if len(started) == 2:
                break
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert len(started) == 2  # two worker processes, from WEB_CONCURRENCY
