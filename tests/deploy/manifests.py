"""Reading rendered manifests: workloads, their pods and containers, policies and refs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Object = dict[str, Any]
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job", "DaemonSet", "CronJob")
LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet")


@dataclass(frozen=True)
class Workload:
    obj: Object

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def name(self) -> str:
        return f"{self.kind}/{self.obj['metadata']['name']}"

    @property
    def template(self) -> Object:
        spec = self.obj["spec"]
        if self.kind == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        return dict(spec["template"])

    @property
    def pod(self) -> Object:
        return dict(self.template["spec"])

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.template.get("metadata", {}).get("labels", {}))

    def containers(self, *, init: bool = True) -> list[Object]:
        found = list(self.pod["containers"])
        return [*self.pod.get("initContainers", []), *found] if init else found

    @property
    def app_container(self) -> Object | None:
        """The container running ``uvicorn --factory <package>.main:create_app``."""
        for container in self.containers(init=False):
            command = container.get("command", [])
            if "--factory" in command:
                return container
        return None

    @property
    def package(self) -> str | None:
        """The Python package of the app this workload runs (``contacts_service``)."""
        container = self.app_container
        if container is None:
            return None
        command = container["command"]
        return str(command[command.index("--factory") + 1]).split(".")[0]


def workloads(objects: list[Object]) -> Iterator[Workload]:
    for obj in objects:
        if obj["kind"] in WORKLOAD_KINDS:
            yield Workload(obj)


def of_kind(objects: list[Object], kind: str) -> list[Object]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: list[Object], kind: str, name: str) -> Object:
    (found,) = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    return found


def selects(selector: Object, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels, matchExpressions) matches ``labels``."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def policies_selecting(objects: list[Object], labels: dict[str, str]) -> list[Object]:
    """The NetworkPolicies that apply to a pod with ``labels``, the default deny aside."""
    return [
        p
        for p in of_kind(objects, "NetworkPolicy")
        if p["spec"]["podSelector"] and selects(p["spec"]["podSelector"], labels)
    ]


def peers(policy: Object, direction: str) -> list[Object]:
    """The ``from`` (ingress) or ``to`` (egress) peers of every rule of ``policy``."""
    key = "from" if direction == "ingress" else "to"
    return [peer for rule in policy["spec"].get(direction, []) for peer in rule.get(key, [])]
