"""What the service's routes, tasks and consumer share: settings, the warehouse, the bus."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from crm_chassis.bus import Bus
from fastapi import Depends, FastAPI, Request

from analytics_service.settings import AnalyticsSettings
from analytics_service.warehouse.store import Warehouse


@dataclass
class Runtime:
    settings: AnalyticsSettings
    warehouse: Warehouse
    app: FastAPI | None = field(default=None, repr=False)

    @property
    def bus(self) -> Bus:
        """The app's NATS connection (made when the app starts)."""
        assert self.app is not None, "the runtime is bound to its app in create_app"
        return self.app.state.bus


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
