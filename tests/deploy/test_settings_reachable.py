"""Every setting of every app's settings class is reachable from the manifests.

For each app workload (a container running ``uvicorn --factory <package>...``) of each
overlay, the variables it gets (``env``, and the ConfigMaps of ``envFrom``) must name
every setting of its app's settings class and of the chassis' own settings classes
(``settings_env``), or the ConfigMap's annotation ``crm.io/unset`` must name it as left
at its default of None on purpose (an empty value would be read as a value). Keys and
URLs with credentials must come from a Secret, never a ConfigMap. The values given must
parse: the settings class is built from them.

A failure lists exactly the variables missing, with their defaults, as ConfigMap lines
to paste (or Secret references to add).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from .conftest import OVERLAYS
from .manifests import Object, Workload, of_kind, workloads
from .settings_env import all_settings, app_settings_classes

SETTINGS = all_settings()
SECRET_PLACEHOLDER = "from-a-secret"
UNSET = "crm.io/unset"


def environment(workload: Workload, objects: list[Object]) -> dict[str, tuple[str, Any]]:
    """Each variable the app container gets: ``(source, value)``, source one of
    ``configmap``, ``value`` or ``secret`` (whose value is not known here)."""
    container = workload.app_container
    assert container is not None
    maps = {c["metadata"]["name"]: c for c in of_kind(objects, "ConfigMap")}
    config_maps = {name: c.get("data", {}) for name, c in maps.items()}
    env: dict[str, tuple[str, Any]] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            assert name in config_maps, f"{workload.name}: no ConfigMap {name}"
            env |= {key: ("configmap", value) for key, value in config_maps[name].items()}
            unset = maps[name]["metadata"].get("annotations", {}).get(UNSET, "")
            env |= dict.fromkeys(unset.split(), ("unset", None))
        else:
            pytest.fail(f"{workload.name}: envFrom {source}: name each secret variable in env")
    for var in container.get("env", []):
        ref = var.get("valueFrom", {})
        if "secretKeyRef" in ref:
            env[var["name"]] = ("secret", SECRET_PLACEHOLDER)
        elif "configMapKeyRef" in ref:
            key = ref["configMapKeyRef"]
            env[var["name"]] = ("configmap", config_maps[key["name"]][key["key"]])
        else:
            env[var["name"]] = ("value", var.get("value", ""))
    return env


def app_workloads(overlay: str, objects: list[Object]) -> dict[str, list[Workload]]:
    """The workloads running each app (by its alembic.ini section)."""
    by_package = {cls.__module__.split(".")[0]: app for app, cls in app_settings_classes().items()}
    found: dict[str, list[Workload]] = {}
    for workload in workloads(objects):
        if workload.package is not None:
            found.setdefault(by_package[workload.package], []).append(workload)
    return found


CASES = [pytest.param(o, app, id=f"{o}-{app}") for o in OVERLAYS for app in SETTINGS]


@pytest.mark.parametrize(("overlay", "app"), CASES)
def test_every_setting_is_reachable_from_the_manifests(rendered, overlay, app):
    objects = rendered[overlay]
    running = app_workloads(overlay, objects).get(app)
    assert running, f"{overlay}: no workload runs {app}"
    missing: dict[str, list[str]] = {}
    for workload in running:
        env = environment(workload, objects)
        lines = []
        for setting in SETTINGS[app]:
            if env.get(setting.env, ("",))[0] == "unset" and setting.default is not None:
                lines.append(f"{setting.env}: named in {UNSET} but its default is not None")
            if setting.env in env:
                continue
            if setting.secret:
                lines.append(f"{setting.env}: a secretKeyRef of crm-secrets ({setting.owner})")
            else:
                lines.append(f"{setting.env}: {setting.default_text!r}  # {setting.owner}")
        if lines:
            missing[workload.name] = lines
    if missing:
        pytest.fail(
            "settings the manifests do not set:\n"
            + "\n".join(f"{name}:\n  " + "\n  ".join(lines) for name, lines in missing.items()),
            pytrace=False,
        )


@pytest.mark.parametrize(("overlay", "app"), CASES)
def test_secrets_come_from_secrets_only(rendered, overlay, app):
    objects = rendered[overlay]
    secret_envs = {s.env for s in SETTINGS[app] if s.secret}
    for workload in app_workloads(overlay, objects).get(app, []):
        env = environment(workload, objects)
        exposed = {name for name in secret_envs if name in env and env[name][0] != "secret"}
        assert exposed == set(), f"{workload.name}: secrets in plain configuration"


@pytest.mark.parametrize(("overlay", "app"), CASES)
def test_the_configured_values_parse(rendered, overlay, app, monkeypatch):
    """The app's settings class accepts what the manifests give it (a typo in a number,
    a list or an enum fails here, not at start-up in the cluster)."""
    objects = rendered[overlay]
    cls = app_settings_classes()[app]
    for workload in app_workloads(overlay, objects).get(app, []):
        env = environment(workload, objects)
        for name, (source, value) in env.items():
            if source == "unset":
                monkeypatch.delenv(name, raising=False)
                continue
            if source == "secret":
                value = _placeholder(name)
            monkeypatch.setenv(name, value)
        try:
            cls()
        except ValidationError as error:
            pytest.fail(f"{workload.name}: {error}")


def _placeholder(name: str) -> str:
    return "postgresql+asyncpg://u:p@db:5432/app" if name.endswith("DATABASE_URL") else "x" * 48


def test_prod_secret_keys_are_in_the_example(rendered):
    """Ops create crm-secrets from secrets.example.yaml: every key prod reads is in it."""
    import yaml

    from .conftest import K8S

    example = yaml.safe_load((K8S / "base" / "secrets.example.yaml").read_text())
    keys = set(example["stringData"])
    used = set()
    for workload in workloads(rendered["prod"]):
        for container in workload.containers():
            for var in container.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["name"] == "crm-secrets":
                    used.add(ref["key"])
    assert used - keys == set()
    assert keys - used == set(), "keys in the example that nothing reads"


def test_dev_generates_every_secret_it_reads(rendered):
    """The dev overlay makes its own Secrets: each required reference resolves."""
    objects = rendered["dev"]
    keys = {
        (s["metadata"]["name"], key)
        for s in of_kind(objects, "Secret")
        for key in [*s.get("data", {}), *s.get("stringData", {})]
    }
    unresolved = set()
    for workload in workloads(objects):
        for container in workload.containers():
            for var in container.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref and not ref.get("optional") and (ref["name"], ref["key"]) not in keys:
                    unresolved.add((workload.name, ref["name"], ref["key"]))
    assert unresolved == set()
