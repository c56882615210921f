"""The network rules: default deny, DNS for all, NATS for the apps, only the gateway
reaches the services, only each app reaches its own database (prod)."""

from __future__ import annotations

import pytest

from .conftest import OVERLAYS
from .manifests import Object, named, of_kind, peers, policies_selecting, selects, workloads
from .settings_env import app_settings_classes

CASES = [pytest.param(o, id=o) for o in OVERLAYS]
SERVICES = ["contacts-service", "sales-service", "marketing-service", "support-service"]


def pod(app: str, component: str = "api") -> dict[str, str]:
    return {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": "crm",
    }


def allowed_from(objects: list[Object], target: dict[str, str]) -> list[Object]:
    """Every ingress peer admitted to a pod with labels ``target``."""
    return [p for pol in policies_selecting(objects, target) for p in peers(pol, "ingress")]


def reaches(objects: list[Object], source: dict[str, str], target: dict[str, str]) -> bool:
    """Whether pod ``source`` may open a connection to pod ``target`` (same namespace):
    an egress rule of ``source`` and an ingress rule of ``target`` both admit it."""
    out = [p for pol in policies_selecting(objects, source) for p in peers(pol, "egress")]
    egress = any("podSelector" in p and selects(p["podSelector"], target) for p in out)
    ingress = any(
        "podSelector" in p and "namespaceSelector" not in p and selects(p["podSelector"], source)
        for p in allowed_from(objects, target)
    )
    return egress and ingress


@pytest.mark.parametrize("overlay", CASES)
def test_everything_is_denied_but_dns(rendered, overlay):
    objects = rendered[overlay]
    deny = named(objects, "NetworkPolicy", "default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = named(objects, "NetworkPolicy", "allow-dns")["spec"]
    assert dns["podSelector"] == {} and {p["port"] for p in dns["egress"][0]["ports"]} == {53}


@pytest.mark.parametrize("overlay", CASES)
def test_only_the_gateway_reaches_the_services(rendered, overlay):
    objects = rendered[overlay]
    for service in [*SERVICES, "analytics-service"]:
        component = "warehouse" if service == "analytics-service" else "api"
        target = pod(service, component)
        in_namespace = [p for p in allowed_from(objects, target) if "namespaceSelector" not in p]
        assert all(
            p["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "gateway"}}
            for p in in_namespace
        ), (service, in_namespace)
        assert reaches(objects, pod("gateway"), target), service
        for other in SERVICES:
            if other != service:
                assert not reaches(objects, pod(other), target), (other, service)
        # From outside the namespace only Prometheus, on the metrics port.
        outside = [p for p in allowed_from(objects, target) if "namespaceSelector" in p]
        for peer in outside:
            assert peer["namespaceSelector"]["matchLabels"] == {
                "kubernetes.io/metadata.name": "monitoring"
            }


@pytest.mark.parametrize("overlay", CASES)
def test_everyone_reaches_nats(rendered, overlay):
    objects = rendered[overlay]
    (nats,) = [w for w in workloads(objects) if w.obj["metadata"]["name"] == "nats"]
    for workload in workloads(objects):
        if workload.package is not None:
            assert reaches(objects, workload.labels, nats.labels), workload.name


def test_in_prod_each_app_reaches_its_own_database_only(rendered):
    objects = rendered["prod"]
    clusters = {c["metadata"]["name"] for c in of_kind(objects, "Cluster")}
    apps = {"gateway": "gateway", **{s: s.removesuffix("-service") for s in SERVICES}}
    apps["analytics-service"] = "analytics"
    assert {f"crm-{section}-db" for section in apps.values()} == clusters
    for app, section in apps.items():
        for cluster in clusters:
            database = {"cnpg.io/cluster": cluster}
            assert reaches(objects, pod(app), database) == (cluster == f"crm-{section}-db"), (
                app,
                cluster,
            )
    assert set(apps.values()) == set(app_settings_classes())


def test_only_the_ingress_controller_reaches_the_gateway_from_outside(rendered):
    objects = rendered["prod"]
    outside = [p for p in allowed_from(objects, pod("gateway")) if "namespaceSelector" in p]
    namespaces = {
        p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in outside
    }
    assert namespaces == {"ingress-nginx", "monitoring"}
    ingress = named(objects, "Ingress", "gateway")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "gateway"
