"""Events of analytics-service (`crm.analytics.*`): one model per event type."""

from __future__ import annotations
