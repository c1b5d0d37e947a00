"""JSON log lines carrying the ids of the work in hand.

``ContextFilter`` copies the bound ids onto each record; ``JsonFormatter`` writes one JSON object
per line with the time (UTC), level, logger, message, the ids and the structured extras the
connectors add (provider, HTTP status, duration). ``LOG_FORMAT=plain`` keeps the old one-line
text for a developer's terminal.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC
from datetime import datetime
from typing import Any

from reconciliation.observability import context

#: Extras other modules attach with ``extra=`` and that belong on the line when present.
EXTRA_FIELDS = (
    "provider",
    "http_method",
    "http_host",
    "http_path",
    "http_status",
    "duration_ms",
    "provider_request_id",
    "retry_delay",
    "attempt",
    "task_name",
)


class ContextFilter(logging.Filter):
    """Stamp the bound ids on the record as ``well_context`` (read by ``JsonFormatter``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.well_context = context.current()
        return True


def ids_of(record: logging.LogRecord) -> dict[str, Any]:
    """The record's ids: bound ones, overridden by ids given explicitly with ``extra=`` —
    except ``request_id``, which connectors/http.py uses for the provider's own request id."""
    bound: dict[str, Any] = getattr(record, "well_context", None) or context.current()
    ids = dict(bound)
    for name in context.FIELDS:
        explicit = record.__dict__.get(name)
        if name != "request_id" and explicit is not None:
            ids[name] = explicit
    return ids


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(ids_of(record))
        provider_request_id = record.__dict__.get("request_id")
        if provider_request_id is not None and provider_request_id != line["request_id"]:
            line["provider_request_id"] = provider_request_id
        for name in EXTRA_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)
