"""Every workload of both overlays: probed, limited, non-root, read-only, no API token,
selected by a NetworkPolicy; every app deployed, migrated first, and its factory real."""

from __future__ import annotations

import importlib

import pytest

from .conftest import OVERLAYS
from .manifests import (
    LONG_RUNNING,
    Workload,
    named,
    of_kind,
    policies_selecting,
    selects,
    workloads,
)
from .settings_env import app_settings_classes

CASES = [pytest.param(o, id=o) for o in OVERLAYS]


def problems_of(workload: Workload) -> list[str]:
    """What ``workload`` lacks of the hardening every pod must have."""
    pod, found = workload.pod, []
    pod_context = pod.get("securityContext", {})
    if pod.get("automountServiceAccountToken") is not False:
        found.append("mounts a service account token")
    if pod_context.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        found.append("no seccomp RuntimeDefault")
    for container in workload.containers():
        name = container["name"]
        context = container.get("securityContext", {})
        if not (context.get("runAsNonRoot") or pod_context.get("runAsNonRoot")):
            found.append(f"{name}: may run as root")
        if context.get("readOnlyRootFilesystem") is not True:
            found.append(f"{name}: writable root file system")
        if context.get("allowPrivilegeEscalation") is not False:
            found.append(f"{name}: privilege escalation allowed")
        if context.get("capabilities", {}).get("drop") != ["ALL"]:
            found.append(f"{name}: capabilities not all dropped")
        limits = container.get("resources", {}).get("limits", {})
        requests = container.get("resources", {}).get("requests", {})
        if not (limits.get("cpu") and limits.get("memory")):
            found.append(f"{name}: no cpu and memory limits")
        if not (requests.get("cpu") and requests.get("memory")):
            found.append(f"{name}: no cpu and memory requests")
    if workload.kind in LONG_RUNNING:
        for container in workload.containers(init=False):
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if probe not in container:
                    found.append(f"{container['name']}: no {probe}")
    return found


@pytest.mark.parametrize("overlay", CASES)
def test_every_workload_is_hardened_probed_and_limited(rendered, overlay):
    objects = rendered[overlay]
    found = {w.name: problems_of(w) for w in workloads(objects)}
    assert len(found) >= 10
    assert {name: p for name, p in found.items() if p} == {}


@pytest.mark.parametrize("overlay", CASES)
def test_every_workload_is_selected_by_a_network_policy(rendered, overlay):
    objects = rendered[overlay]
    unselected = [w.name for w in workloads(objects) if not policies_selecting(objects, w.labels)]
    assert unselected == []


@pytest.mark.parametrize("overlay", CASES)
def test_app_probes_are_the_health_endpoints(rendered, overlay):
    for workload in workloads(rendered[overlay]):
        container = workload.app_container
        if container is None:
            continue
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", workload.name
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", workload.name
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz", workload.name
        assert {"name": "http"} in [{"name": p["name"]} for p in container["ports"]]


@pytest.mark.parametrize("overlay", CASES)
def test_every_app_factory_is_importable(rendered, overlay):
    for workload in workloads(rendered[overlay]):
        container = workload.app_container
        if container is None:
            continue
        command = container["command"]
        module, _, attr = command[command.index("--factory") + 1].partition(":")
        assert callable(getattr(importlib.import_module(module), attr)), workload.name


def _app_of(package: str) -> str:
    """The alembic.ini section of the app whose settings live in ``package``."""
    (section,) = [
        s for s, cls in app_settings_classes().items() if cls.__module__.split(".")[0] == package
    ]
    return section


@pytest.mark.parametrize("overlay", CASES)
def test_every_app_is_deployed_and_migrated_before_it_serves(rendered, overlay):
    objects = rendered[overlay]
    jobs = {}
    for job in of_kind(objects, "Job"):
        (container,) = job["spec"]["template"]["spec"]["containers"]
        command = container["command"]
        if "alembic" in command:
            assert command[-2:] == ["upgrade", "heads"], job["metadata"]["name"]
            assert command[command.index("-c") + 1] == "/app/alembic.ini"
            jobs[command[command.index("-n") + 1]] = job
    sections = set(app_settings_classes())
    assert set(jobs) == sections, "one migration Job per app of alembic.ini"
    deployed = set()
    for workload in workloads(objects):
        if workload.package is None:
            continue
        section = _app_of(workload.package)
        deployed.add(section)
        # New pods wait until the database is at the heads the Job migrates to.
        (wait,) = [c for c in workload.pod["initContainers"] if c["name"] == "wait-for-migrations"]
        assert f"-n {section} current --check-heads" in " ".join(wait["command"])
        assert wait["env"] == jobs[section]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert deployed == sections


@pytest.mark.parametrize("overlay", CASES)
def test_every_api_has_its_service_account_service_autoscaler_and_budget(rendered, overlay):
    objects = rendered[overlay]
    names = {(o["kind"], o["metadata"]["name"]) for o in objects}
    for workload in workloads(objects):
        labels = workload.labels
        if labels.get("app.kubernetes.io/component") != "api":
            continue
        name = workload.obj["metadata"]["name"]
        assert ("ServiceAccount", workload.pod["serviceAccountName"]) in names
        sa = [o for o in of_kind(objects, "ServiceAccount") if o["metadata"]["name"] == name]
        assert sa and sa[0]["automountServiceAccountToken"] is False
        assert ("HorizontalPodAutoscaler", name) in names
        assert workload.pod["topologySpreadConstraints"], name
        services = [s for s in of_kind(objects, "Service") if s["spec"].get("selector")]
        assert any(selects({"matchLabels": s["spec"]["selector"]}, labels) for s in services)
        budgets = of_kind(objects, "PodDisruptionBudget")
        assert any(selects(b["spec"]["selector"], labels) for b in budgets), name


@pytest.mark.parametrize("overlay", CASES)
def test_every_service_selects_pods(rendered, overlay):
    objects = rendered[overlay]
    pods = [w.labels for w in workloads(objects)]
    for service in of_kind(objects, "Service"):
        selector = service["spec"].get("selector")
        assert selector and any(selects({"matchLabels": selector}, p) for p in pods), service


def test_the_warehouse_is_one_writer_on_a_volume(rendered):
    for objects in rendered.values():
        (warehouse,) = [
            w for w in workloads(objects) if w.obj["metadata"]["name"] == "analytics-service"
        ]
        assert warehouse.kind == "StatefulSet" and warehouse.obj["spec"]["replicas"] == 1
        (claim,) = warehouse.obj["spec"]["volumeClaimTemplates"]
        container = warehouse.app_container
        assert container is not None
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        assert mounts[claim["metadata"]["name"]] == "/data"
        names = {(o["kind"], o["metadata"]["name"]) for o in objects}
        assert ("HorizontalPodAutoscaler", "analytics-service") not in names


def test_dev_runs_one_replica_of_everything(rendered):
    for workload in workloads(rendered["dev"]):
        if workload.kind in ("Deployment", "StatefulSet"):
            assert workload.obj["spec"]["replicas"] == 1, workload.name
    for hpa in of_kind(rendered["dev"], "HorizontalPodAutoscaler"):
        assert hpa["spec"]["minReplicas"] == 1


def test_prod_pins_the_image_by_digest_and_scales(rendered):
    for workload in workloads(rendered["prod"]):
        for container in workload.containers():
            image = container["image"]
            if "crm-platform/crm" in image:
                name, _, digest = image.partition("@sha256:")
                assert len(digest) == 64 and ":" not in name, image
    for hpa in of_kind(rendered["prod"], "HorizontalPodAutoscaler"):
        assert hpa["spec"]["minReplicas"] >= 3 and hpa["spec"]["maxReplicas"] >= 12
        # The autoscaler owns the count: an apply must not reset it.
        target = named(rendered["prod"], "Deployment", hpa["spec"]["scaleTargetRef"]["name"])
        assert "replicas" not in target["spec"], target["metadata"]["name"]
    workers = [
        w
        for w in workloads(rendered["prod"])
        if w.labels.get("app.kubernetes.io/component") == "worker"
    ]
    assert len(workers) == 5  # every app but the warehouse runs its background work apart


def test_the_hardening_rules_catch_a_bare_pod():
    bare = Workload(
        {
            "kind": "Deployment",
            "metadata": {"name": "bare"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}},
        }
    )
    assert problems_of(bare) == [
        "mounts a service account token",
        "no seccomp RuntimeDefault",
        "c: may run as root",
        "c: writable root file system",
        "c: privilege escalation allowed",
        "c: capabilities not all dropped",
        "c: no cpu and memory limits",
        "c: no cpu and memory requests",
        "c: no livenessProbe",
        "c: no readinessProbe",
        "c: no startupProbe",
    ]
