"""The event catalogue as an AsyncAPI 3 document, generated from proto's registry: one
channel per NATS subject, one message per event type (the CloudEvent envelope with its
``data`` schema), one ``receive`` operation per channel."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from crm_proto import subject_for
from crm_proto.generate import render
from crm_proto.registry import REGISTRY

_LOCAL = "#/$defs/"


def _key(event_type: str) -> str:
    return event_type.replace(".", "_")


def _rehome(node: Any, prefix: str) -> Any:
    """``node`` with its local ``#/$defs/X`` refs pointing at ``components.schemas``."""
    if isinstance(node, dict):
        return {
            k: (
                "#/components/schemas/" + prefix + v[len(_LOCAL) :]
                if k == "$ref" and isinstance(v, str) and v.startswith(_LOCAL)
                else _rehome(v, prefix)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rehome(v, prefix) for v in node]
    return node


@cache
def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every registered event type."""
    files = render()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for event_type, spec in sorted(REGISTRY.items()):
        schema = json.loads(files[f"{event_type}.json"])
        key = _key(event_type)
        prefix = key + "__"
        for name, definition in schema.pop("$defs", {}).items():
            schemas[prefix + name] = _rehome(definition, prefix)
        for meta in ("$schema", "$id"):
            schema.pop(meta, None)
        messages[key] = {
            "name": event_type,
            "title": event_type,
            "summary": spec.description.split("\n", 1)[0],
            "description": spec.description,
            "contentType": "application/cloudevents+json",
            "payload": _rehome(schema, prefix),
        }
        subject = subject_for(event_type)
        channel = channels.setdefault(
            subject.replace(".", "_"),
            {"address": subject, "messages": {}, "description": f"NATS subject {subject}"},
        )
        channel["messages"][key] = {"$ref": f"#/components/messages/{key}"}
    for channel_id, channel in channels.items():
        operations[f"receive_{channel_id}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [
                {"$ref": f"#/channels/{channel_id}/messages/{m}"} for m in channel["messages"]
            ],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "CRM platform events",
            "version": "1.0.0",
            "description": (
                "Every domain event of the platform, as CloudEvents 1.0 (structured JSON). "
                "Receive them as signed webhooks (POST /v1/webhooks) or as server-sent "
                "events (GET /v1/events/stream); inside the platform they travel on the "
                "NATS JetStream stream CRM."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {"nats": {"host": "nats:4222", "protocol": "nats", "description": "stream CRM"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
