"""``make deploy-check``: the manifests and the image checked where no cluster runs.

    python deploy/k8s/check.py [--root DIR]

1. Renders every overlay in ``deploy/k8s/overlays`` with ``kubectl kustomize``.
2. Validates every object it renders with ``kubernetes-validate`` in strict mode (an
   unknown field is an error); a custom resource against its CRD in ``deploy/k8s/crds``,
   with unknown fields rejected the same way; one with no CRD there is listed as skipped.
3. Validates the manifests no overlay renders the same way: ``base/secrets.example.yaml``
   and the CRDs of ``deploy/k8s/crds``.
4. Lints the ``Dockerfile`` with ``hadolint``.

Exits 1 when any of them fails, naming the overlay, the object and the error. The rules
of our own (probes, limits, non-root, NetworkPolicies, settings) are the tests in
``tests/deploy``, which ``make deploy-check`` runs after this.
"""

from __future__ import annotations

import argparse
import copy
import functools
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import yaml
from kubernetes_validate.utils import SchemaNotFoundError

KUBERNETES_VERSION = "1.33"
"""The oldest Kubernetes the manifests are checked against (its schemas are stricter than
later ones where fields were added since)."""

Object = dict[str, Any]

# kubernetes-validate reads and parses its JSON schemas (megabytes of definitions) again
# for every object it validates: read each once (6x faster over our ~160 objects).
kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(
    kubernetes_validate.utils.schema_contents
)


@dataclass
class Report:
    """What one run found."""

    validated: int = 0
    by_crd: Counter[str] = field(default_factory=Counter)
    """Of the valid objects, those checked against ``deploy/k8s/crds``, by kind."""
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def tool(name: str) -> str:
    """A tool of the environment this runs in (``.venv/bin``), else from ``PATH``."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found: run `make install` (it is a dev dependency)")
    return found


def render(overlay: Path) -> list[Object]:
    """The objects ``kubectl kustomize`` renders from ``overlay``."""
    done = subprocess.run(
        [tool("kubectl"), "kustomize", str(overlay)], capture_output=True, text=True
    )
    if done.returncode:
        raise RenderError(done.stderr.strip())
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


class RenderError(Exception):
    """``kubectl kustomize`` refused an overlay."""


def crd_schemas(crds: Path) -> dict[tuple[str, str], Object]:
    """``(apiVersion, kind)`` to the strict schema of each CRD version in ``crds``."""
    schemas = {}
    for path in sorted(crds.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            spec = crd["spec"]
            for version in spec["versions"]:
                api_version = f"{spec['group']}/{version['name']}"
                schema = strict(version["schema"]["openAPIV3Schema"])
                schemas[api_version, spec["names"]["kind"]] = schema
    return schemas


def strict(schema: Object) -> Object:
    """``schema`` rejecting fields it does not declare, as the API server's strict field
    validation does (an object schema with ``properties`` and no
    ``x-kubernetes-preserve-unknown-fields`` admits no other field)."""
    schema = copy.deepcopy(schema)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)
    return schema


def validate(obj: Object, crds: dict[tuple[str, str], Object]) -> str | None:
    """None if ``obj`` is valid, else why not; raises ``SchemaNotFoundError`` for a kind
    that neither kubernetes-validate nor ``crds`` knows."""
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        return None
    except kubernetes_validate.ValidationError as error:
        return f"{error.message} at {'/'.join(map(str, error.absolute_path)) or '/'}"
    except SchemaNotFoundError:
        schema = crds.get((obj["apiVersion"], obj["kind"]))
        if schema is None:
            raise
    crd_error = jsonschema.exceptions.best_match(
        jsonschema.Draft7Validator(schema).iter_errors(obj)
    )
    if crd_error is None:
        return None
    return f"{crd_error.message} at {'/'.join(map(str, crd_error.absolute_path)) or '/'}"


def check_overlay(
    overlay: Path,
    objects: list[Object] | RenderError,
    crds: dict[tuple[str, str], Object],
    report: Report,
) -> None:
    if isinstance(objects, RenderError):
        report.errors.append(f"{overlay.name}: kubectl kustomize failed: {objects}")
        return
    for obj in objects:
        name = f"{overlay.name}: {obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        try:
            problem = validate(obj, crds)
        except SchemaNotFoundError:
            report.skipped.append(f"{name} ({obj['apiVersion']}: no schema)")
            continue
        if problem:
            report.errors.append(f"{name}: {problem}")
        else:
            report.validated += 1
            if (obj["apiVersion"], obj["kind"]) in crds:
                report.by_crd[obj["kind"]] += 1


def hadolint(dockerfile: Path, report: Report) -> None:
    done = subprocess.run(
        [tool("hadolint"), "--no-color", str(dockerfile)], capture_output=True, text=True
    )
    if done.returncode:
        report.errors.append(f"hadolint {dockerfile.name}:\n{done.stdout}{done.stderr}".strip())


def overlays(root: Path) -> Iterator[Path]:
    """Every overlay: each folder of ``deploy/k8s/overlays`` with a kustomization."""
    for folder in sorted((root / "deploy" / "k8s" / "overlays").iterdir()):
        if (folder / "kustomization.yaml").is_file():
            yield folder


def run(root: Path) -> Report:
    """Check the manifests and the Dockerfile of the repository at ``root``."""
    report = Report()
    crds = crd_schemas(root / "deploy" / "k8s" / "crds")
    found = list(overlays(root))
    if not found:
        report.errors.append("no overlay found in deploy/k8s/overlays")
    # kubectl and hadolint are processes of their own: run them side by side.
    with ThreadPoolExecutor() as pool:
        renders = list(pool.map(_render_or_error, found))
        lint = pool.submit(hadolint, root / "Dockerfile", report)
    for overlay, objects in zip(found, renders, strict=True):
        check_overlay(overlay, objects, crds, report)
    check_files(root, crds, report)
    lint.result()
    return report


def check_files(root: Path, crds: dict[tuple[str, str], Object], report: Report) -> None:
    """The manifests no overlay renders: the example Secret and the CRDs themselves."""
    k8s = root / "deploy" / "k8s"
    for path in [k8s / "base" / "secrets.example.yaml", *sorted((k8s / "crds").glob("*.yaml"))]:
        for obj in yaml.safe_load_all(path.read_text()):
            problem = validate(obj, crds)
            name = f"{path.relative_to(k8s)}: {obj['kind']}/{obj['metadata']['name']}"
            if problem:
                report.errors.append(f"{name}: {problem}")
            else:
                report.validated += 1


def _render_or_error(overlay: Path) -> list[Object] | RenderError:
    try:
        return render(overlay)
    except RenderError as error:
        return error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    args = parser.parse_args(argv)
    report = run(args.root.resolve())
    for skipped in report.skipped:
        print(f"skipped  {skipped}")
    for error in report.errors:
        print(f"FAILED   {error}")
    if report.by_crd:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(report.by_crd.items()))
        print(f"checked against deploy/k8s/crds: {kinds}")
    print(
        f"deploy-check: {report.validated} objects valid, {len(report.skipped)} skipped, "
        f"{len(report.errors)} errors (Kubernetes {KUBERNETES_VERSION}, strict)"
    )
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
