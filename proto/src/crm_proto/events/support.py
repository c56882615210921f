"""Events of support-service (`crm.support.*`): one model per event type."""

from __future__ import annotations
