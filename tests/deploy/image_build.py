"""The Dockerfile's build, as far as it can run without a container engine.

``context`` copies what ``docker build`` would send (``.dockerignore`` applied);
``build_stage`` runs the build stage's ``uv sync`` line there, offline from uv's cache;
``final_stage`` lays out the files the final stage copies, as ``/app`` would hold them.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

from .conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def uv() -> str | None:
    found = shutil.which("uv")
    local = ROOT / ".tools" / "bin" / "uv"
    return found or (str(local) if local.exists() else None)


def ignored(path: str, rules: list[str]) -> bool:
    """Whether ``.dockerignore``'s ``rules`` leave ``path`` out: the last rule matching the
    path or a folder above it wins; ``!`` takes back in; ``**/`` is any depth of folders."""
    prefixes = [path[: i.start()] for i in re.finditer("/", path)] + [path]
    result = False
    for rule in rules:
        pattern = _regex(rule.removeprefix("!"))
        if any(pattern.fullmatch(prefix) for prefix in prefixes):
            result = not rule.startswith("!")
    return result


def _regex(pattern: str) -> re.Pattern[str]:
    out = ""
    for token in re.split(r"(\*\*/|\*|\?)", pattern.strip("/")):
        out += {"**/": "(?:.*/)?", "*": "[^/]*", "?": "[^/]"}.get(token, re.escape(token))
    return re.compile(out)


def context(dest: Path) -> Path:
    """The build context in ``dest``: the repository's files less ``.dockerignore``'s."""
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for path in filter(None, listed):
        source = ROOT / path
        if source.is_file() and not ignored(path, rules):
            (dest / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / path)
    return dest


def build_stage(ctx: Path) -> Path:
    """Run the build stage's ``uv sync`` in ``ctx``; the environment it made."""
    joined = DOCKERFILE.replace("\\\n", " ")
    (command,) = re.findall(r"^RUN (uv sync .*)$", joined, re.M)
    argv = shlex.split(command)
    tool = uv()
    assert tool, "uv is not installed (make install)"
    env = os.environ | {"UV_PYTHON_DOWNLOADS": "never", "UV_COMPILE_BYTECODE": "0"}
    env.pop("VIRTUAL_ENV", None)
    env.pop("UV_PROJECT_ENVIRONMENT", None)
    done = subprocess.run(
        [tool, *argv[1:], "--offline", "--quiet"], cwd=ctx, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return ctx / ".venv"


def final_stage(ctx: Path, dest: Path) -> Path:
    """The files the final stage copies from the build stage, laid out in ``dest``."""
    _, final = re.split(r"^FROM [^\n]* AS build\n", DOCKERFILE, flags=re.M)[1].split("\nFROM ", 1)
    for source in re.findall(r"^COPY --from=build /app/(\S+) /app/", final, re.M):
        origin, target = ctx / source, dest / source
        if origin.is_dir():
            shutil.copytree(origin, target, symlinks=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)
    return dest
