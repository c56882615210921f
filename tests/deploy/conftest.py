"""The rendered overlays, once per session, for the tests of the manifests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"


def _load_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_check", K8S / "check.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["deploy_check"] = module
    spec.loader.exec_module(module)
    return module


check = _load_check()
OVERLAYS = [p.name for p in check.overlays(ROOT)]


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """Every overlay's objects, as ``kubectl kustomize`` renders them."""
    return {name: check.render(K8S / "overlays" / name) for name in OVERLAYS}
