"""Reading a provider's answer before deciding what it means: its request id, its Retry-After, its
content type, and a short redacted description of an unexpected body for error messages. Used by
the HTTP seam (``connectors.http``) and by the response classification (``connectors.errors``).
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from email.utils import parsedate_to_datetime

import requests

from connectors.redaction import redact
from connectors.redaction import shorten

# Response headers that carry the provider's request id, in the order we trust them.
REQUEST_ID_HEADERS = (
    "x-dropbox-request-id",
    "request-id",
    "x-request-id",
    "x-qonto-trace-id",
    "x-trace-id",
)


def request_id_of(response: requests.Response) -> str | None:
    for name in REQUEST_ID_HEADERS:
        value = response.headers.get(name)
        if value:
            return value
    return None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def content_type_of(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def looks_like_html(response: requests.Response) -> bool:
    if content_type_of(response) in ("text/html", "application/xhtml+xml"):
        return True
    head = response.content[:256].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def describe_body(response: requests.Response) -> str:
    """A short, redacted description of what actually came, for ProtocolError messages."""
    content_type = content_type_of(response) or "no content type"
    if looks_like_html(response):
        return f"an HTML page ({content_type}, {len(response.content)} bytes)"
    if not response.content:
        return f"an empty body ({content_type})"
    text = response.content[:200].decode("utf-8", errors="replace")
    return f"{content_type}, {len(response.content)} bytes: {shorten(redact(text), 120)!r}"
