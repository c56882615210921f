"""JSON logs, one object per line, carrying the request id and trace id."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from crm_chassis import context


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if (rid := context.request_id.get()) is not None:
            entry["request_id"] = rid
        if (tp := context.traceparent.get()) is not None:
            entry["trace_id"] = tp.split("-")[1] if tp.count("-") >= 3 else tp
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        for key in ("method", "path", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        return json.dumps(entry, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log record to stdout as JSON; idempotent."""
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root.handlers = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).handlers = []
        logging.getLogger(noisy).propagate = False
