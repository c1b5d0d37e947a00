"""Apideck's error body (``status_code``, ``error``, ``type_name``, ``message``, ``detail``,
``ref``), the token-refresh failure detail, and the opaque state/cursor encoding."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from connectors.sandbox.wire import Response
from connectors.sandbox.wire import json_response

# Health values that mean the Dropbox credentials are gone: calls fail until reauthorised.
BROKEN_HEALTH = ("needs_auth", "revoked")
ERRORS_REF = "https://developers.apideck.com/errors#"
REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def apideck_error(
    status: int,
    type_name: str,
    message: str,
    detail: Any = None,
    *,
    headers: list[tuple[str, str]] | None = None,
    downstream_errors: list[dict[str, Any]] | None = None,
) -> Response:
    payload: dict[str, Any] = {
        "status_code": status,
        "error": REASONS.get(status, "Error"),
        "type_name": type_name,
        "message": message,
        "detail": detail,
        "ref": ERRORS_REF + type_name.lower(),
    }
    if downstream_errors is not None:
        payload["downstream_errors"] = downstream_errors
    return json_response(status, payload, headers=headers or [])


def refresh_failure_detail(now_ms: int) -> dict[str, Any]:
    return {
        "type": "refresh_token_connector_error",
        "message": "Token refresh failed with 401 error",
        "debug": {
            "response": {"statusCode": 401, "data": {"error": "invalid_grant"}},
            "credentials_expire_at_ms": now_ms + 7 * 24 * 3600 * 1000,
            "retry_after_ms": now_ms + 30_000,
            "cooldown_remaining_ms": 30_000,
        },
    }


def recoverable_refresh_detail(now_ms: int) -> dict[str, Any]:
    """A refresh that failed for a reason Apideck retries (the provider answered 503): no
    ``credentials_expire_at_ms``, which the spec sends only for non-recoverable failures."""
    return {
        "type": "refresh_token_connector_error",
        "message": "Token refresh failed",
        "debug": {
            "response": {"statusCode": 503},
            "retry_after_ms": now_ms + 30_000,
            "cooldown_remaining_ms": 30_000,
        },
    }


def encode_state(value: Mapping[str, Any]) -> str:
    raw = json.dumps(dict(value), separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_state(text: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    return value if isinstance(value, dict) else None
