"""Events of the gateway (`crm.gateway.*`): one model per event type."""

from __future__ import annotations
