"""Generate the JSON Schemas of proto/schemas from the registered event models.

``python -m crm_proto.generate`` writes one file per event type (the CloudEvent envelope
with its ``data`` schema inlined) and ``index.json``; ``--check`` exits 1 when they are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from crm_proto.envelope import CloudEvent
from crm_proto.registry import REGISTRY, _load_all

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def render() -> dict[str, str]:
    """Every schema file's name and exact content."""
    _load_all()
    files: dict[str, str] = {}
    envelope = CloudEvent.model_json_schema()
    for name, spec in sorted(REGISTRY.items()):
        data_schema = spec.model.model_json_schema(ref_template="#/$defs/{model}")
        defs = data_schema.pop("$defs", {})
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://crm.example/schemas/{name}.json",
            "title": name,
            "description": spec.description,
            **envelope,
        }
        schema["properties"] = {
            **envelope["properties"],
            "type": {"const": name},
            "data": data_schema,
        }
        schema["$defs"] = defs
        schema.pop("title", None)
        schema["title"] = name
        files[f"{name}.json"] = _dump(schema)
    index = {name: {"description": spec.description} for name, spec in sorted(REGISTRY.items())}
    files["index.json"] = _dump(index)
    return files


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


def stale(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of schema files that are missing, different, or no longer generated."""
    wanted = render()
    present = {p.name for p in directory.glob("*.json")}
    out = [
        n
        for n, text in wanted.items()
        if not (directory / n).is_file() or (directory / n).read_text() != text
    ]
    return sorted(out + list(present - wanted.keys()))


def write(directory: Path = SCHEMA_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    wanted = render()
    for p in directory.glob("*.json"):
        if p.name not in wanted:
            p.unlink()
    for name, text in wanted.items():
        (directory / name).write_text(text)


if __name__ == "__main__":
    if "--check" in sys.argv:
        bad = stale()
        if bad:
            print("stale schemas (run `make schemas`):", *bad, sep="\n  ")
            sys.exit(1)
    else:
        write()
