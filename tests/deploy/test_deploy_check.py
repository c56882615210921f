"""``make deploy-check`` passes on the repository and fails on a manifest broken on
purpose, each time in a temporary copy of the manifests and the Dockerfile."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import ROOT, check

CHECK = ROOT / "deploy" / "k8s" / "check.py"


def run_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECK), "--root", str(root)], capture_output=True, text=True
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """What the check reads (the manifests and the Dockerfile), in a folder of its own."""
    shutil.copytree(ROOT / "deploy" / "k8s", tmp_path / "deploy" / "k8s")
    shutil.copy(ROOT / "Dockerfile", tmp_path / "Dockerfile")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) >= 1, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_the_repository_passes():
    done = run_check(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 errors" in done.stdout
    assert " 0 skipped" in done.stdout, "a custom resource has no schema in deploy/k8s/crds"
    assert "checked against deploy/k8s/crds: Cluster 6, PrometheusRule 1, ScheduledBackup 6" in (
        done.stdout
    )


def test_the_copy_passes_before_it_is_broken(copy):
    report = check.run(copy)
    assert report.errors == [] and report.validated > 100


BREAKS: dict[str, tuple[Callable[[Path], None], str]] = {
    # A field Kubernetes does not know (a typo): strict validation rejects it.
    "unknown field in a built-in kind": (
        lambda root: edit(
            root / "deploy/k8s/base/sales-service.yaml",
            "  revisionHistoryLimit: 5\n",
            "  revisionHistoryLimit: 5\n  replica: 3\n",
        ),
        "Deployment/sales-service: Additional properties are not allowed ('replica'",
    ),
    "wrong type in a built-in kind": (
        lambda root: edit(
            root / "deploy/k8s/base/gateway.yaml",
            "containerPort: 8000}",
            "containerPort: eight-thousand}",
        ),
        "Deployment/gateway:",
    ),
    # A custom resource checked against its vendored CRD schema.
    "wrong type in a custom resource": (
        lambda root: edit(
            root / "deploy/k8s/components/cloudnative-pg/clusters.yaml",
            "instances: 3",
            "instances: three",
        ),
        "prod: Cluster/crm-gateway-db: 'three' is not of type 'integer'",
    ),
    "unknown field in a custom resource": (
        lambda root: edit(
            root / "deploy/k8s/components/cloudnative-pg/clusters.yaml",
            "destinationPath:",
            "destinationPth:",
        ),
        "prod: Cluster/crm-gateway-db:",
    ),
    # Kustomize refuses to render: a resource that is not there.
    "missing resource": (
        lambda root: (root / "deploy/k8s/base/ingress.yaml").unlink(),
        "kubectl kustomize failed",
    ),
    # A manifest no overlay renders is validated all the same.
    "invalid example Secret": (
        lambda root: edit(
            root / "deploy/k8s/base/secrets.example.yaml", "type: Opaque", "type: [Opaque]"
        ),
        "base/secrets.example.yaml: Secret/crm-secrets:",
    ),
    "lint error in the Dockerfile": (
        lambda root: edit(
            root / "Dockerfile",
            "FROM python:3.11-slim-bookworm\n",
            "FROM python:latest\n",
        ),
        "hadolint Dockerfile",
    ),
}


@pytest.mark.parametrize("broken", list(BREAKS))
def test_a_broken_copy_fails_naming_what_broke(copy, broken):
    breaker, expected = BREAKS[broken]
    breaker(copy)
    report = check.run(copy)
    assert any(expected in error for error in report.errors), report.errors


def test_the_command_exits_1_on_a_broken_copy(copy):
    BREAKS["unknown field in a built-in kind"][0](copy)
    done = run_check(copy)
    assert done.returncode == 1, done.stdout
    assert "FAILED   dev: Deployment/sales-service: Additional properties" in done.stdout
    assert " 2 errors" in done.stdout  # one in each overlay


def test_a_custom_resource_without_schema_is_listed_as_skipped(copy):
    (copy / "deploy/k8s/base/extra.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 1}\n"
    )
    kustomization = copy / "deploy/k8s/base/kustomization.yaml"
    edit(kustomization, "  - ingress.yaml\n", "  - ingress.yaml\n  - extra.yaml\n")
    report = check.run(copy)
    assert report.errors == []
    assert report.skipped == [
        "dev: Widget/w (example.com/v1: no schema)",
        "prod: Widget/w (example.com/v1: no schema)",
    ]
