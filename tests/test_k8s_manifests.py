"""The Kubernetes manifests: every app deployable, probed, non-root, read-only."""

from pathlib import Path

import pytest
import yaml
from crm_testing.schema_drift import workspace_apps

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "deploy" / "k8s" / "base"
APPS = [
    "gateway",
    "contacts-service",
    "sales-service",
    "marketing-service",
    "support-service",
    "analytics-service",
]


def documents(name: str) -> dict[str, dict]:
    return {d["kind"]: d for d in yaml.safe_load_all((BASE / f"{name}.yaml").read_text())}


def test_kustomization_lists_every_app():
    resources = yaml.safe_load((BASE / "kustomization.yaml").read_text())["resources"]
    assert {f"{a}.yaml" for a in APPS} <= set(resources)
    for resource in resources:
        assert (BASE / resource).is_file()


@pytest.mark.parametrize("app", APPS)
def test_each_app_is_probed_non_root_and_read_only(app):
    docs = documents(app)
    assert {
        "ServiceAccount",
        "Service",
        "Deployment",
        "Job",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    } <= set(docs)
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"]["limits"]["memory"]
    factory = container["command"][container["command"].index("--factory") + 1]
    module = factory.split(":")[0]
    __import__(module)  # the command names an importable app factory
    migrate = docs["Job"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert migrate[-2:] == ["upgrade", "heads"]
    # The image's one alembic.ini (ROOT's, copied by the Dockerfile), at the app's section.
    assert migrate[migrate.index("-c") + 1] == "/app/alembic.ini"
    section = migrate[migrate.index("-n") + 1]
    assert section == app.removesuffix("-service") and section in workspace_apps()
    dockerfile = (ROOT / "Dockerfile").read_text()
    for needed in ("alembic.ini", "services/migrations", f"{app}/migrations"):
        assert f"COPY --from=build /app/{needed} " in dockerfile, needed
