"""The registry of event types: one pydantic payload model per type.

Models register themselves with :func:`event_type`; importing ``crm_proto.events`` loads
every one of them, so the registry is complete whenever this module is used through the
package.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=type[BaseModel])


@dataclass(frozen=True)
class EventSpec:
    type: str
    model: builtins.type[BaseModel]  # ``type`` is the field above inside this class
    description: str


REGISTRY: dict[str, EventSpec] = {}


def event_type(name: str) -> Callable[[M], M]:
    """Register the decorated model as the payload of the event type ``name``."""

    def register(model: M) -> M:
        if name in REGISTRY:
            raise ValueError(f"event type {name} registered twice")
        REGISTRY[name] = EventSpec(name, model, (model.__doc__ or "").strip())
        return model

    return register


def payload_model(name: str) -> type[BaseModel]:
    """The payload model of a registered event type; KeyError for an unknown one."""
    _load_all()
    try:
        return REGISTRY[name].model
    except KeyError:
        raise KeyError(f"unregistered event type {name!r}") from None


def _load_all() -> None:
    import crm_proto.events  # noqa: F401  (registers every event type on import)
