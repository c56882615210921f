"""Events of marketing-service (`crm.marketing.*`): one model per event type."""

from __future__ import annotations
