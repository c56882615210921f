"""The one image: multi-stage, non-root, no build tools in the final stage, a health
check, the worker count from the environment, every app and its migrations in it."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys

from .conftest import ROOT
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


def test_the_migrations_resolve_from_the_files_the_image_holds(tmp_path):
    """``alembic heads`` for every app from only what the Dockerfile copies, as /app is."""
    _, final = stages()
    for source in re.findall(r"^COPY --from=build /app/(\S+) /app/", final, re.M):
        if source == ".venv":
            continue
        origin, target = ROOT / source, tmp_path / source
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(origin, target)
    for section in version_locations():
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "alembic",
                "-c",
                str(tmp_path / "alembic.ini"),
                "-n",
                section,
                "heads",
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        assert "(head)" in done.stdout, (section, done.stdout)


def test_the_build_context_leaves_out_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".git", ".data", ".venv", ".tools", "**/__pycache__"):
        assert path in ignored
