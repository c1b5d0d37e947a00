"""How Apideck's error answers read (https://developers.apideck.com/errors): ``type_name`` says
what happened more precisely than the status; ``detail`` is a string or an object (a downstream
body, or a token-refresh failure with its timing). Their meaning here:

- ``ConnectorRateLimitError`` is a rate limit whatever the status (Dropbox's own ``retry_after``
  may be forwarded in ``detail.error.error.retry_after``);
- 401/400 ``refresh_token_connector_error``: final (reconnect) only when ``detail.debug`` carries
  ``credentials_expire_at_ms`` ("only present for non-recoverable errors"); without it Vault keeps
  the credentials and the refresh is retried after its cooldown, so it is transient;
- any other 401 means our API key or app id is wrong (an operator's fix, not the user's);
- ``ConnectorCredentialsError``/``ConnectionNotFoundError``/``ConnectorDisabledError``: the
  user's Vault connection is unusable (reconnect);
- 402 / ``RequestLimitError``: the plan's quota; ``InvalidCursorError``: restart the listing.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from decimal import Decimal
from typing import Any

import requests

from connectors.apideck.schemas import ApideckErrorBody
from connectors.errors import AuthError
from connectors.errors import Classification
from connectors.errors import ConfigurationError
from connectors.errors import ConnectorError
from connectors.errors import ErrorBody
from connectors.errors import PermanentError
from connectors.errors import ProviderErrors
from connectors.errors import TransientError
from connectors.redaction import shorten
from connectors.responses import describe_body

PROVIDER = "apideck"
AUTH_TYPE_NAMES = frozenset(
    {"ConnectorCredentialsError", "ConnectionNotFoundError", "ConnectorDisabledError"}
)
CONFIG_TYPE_NAMES = frozenset(
    {"IntegrationNotFoundError", "ConnectorNotFoundError", "RequestHeadersValidationError"}
)
REFRESH_FAILED = "refresh_token_connector_error"


class InvalidCursorError(PermanentError):
    """The page cursor is not (or no longer) valid: restart the listing from the first page."""


class QuotaExceededError(PermanentError):
    """402: the Apideck plan's request quota is exhausted. Do not retry; alert an operator."""


def error_body(response: requests.Response) -> ApideckErrorBody | None:
    try:
        data = response.json()
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return ApideckErrorBody.model_validate(data)


def parse_error_body(response: requests.Response) -> ErrorBody:
    body = error_body(response)
    type_name = body.type_name if body else None
    message = (body.message if body else None) or describe_body(response)
    detail = body.detail_text if body else None
    summary = shorten(f"{type_name or 'HTTP ' + str(response.status_code)}: {message}")
    if detail and detail != message:
        summary = shorten(f"{summary} ({detail})")
    return ErrorBody(
        code=type_name,
        detail=detail,
        retry_after=body.downstream_retry_after if body else None,
        summary=summary,
    )


def _refresh_wait(debug: Any, now: datetime) -> float | None:
    """Seconds until Vault allows the next refresh: ``retry_after_ms`` (an epoch) or
    ``cooldown_remaining_ms`` (a duration)."""
    if not isinstance(debug, dict):
        return None
    until = debug.get("retry_after_ms")
    if isinstance(until, int | float | Decimal) and not isinstance(until, bool):
        return max(0.0, float(until) / 1000 - now.timestamp())
    remaining = debug.get("cooldown_remaining_ms")
    if isinstance(remaining, int | float | Decimal) and not isinstance(remaining, bool):
        return max(0.0, float(remaining) / 1000)
    return None


def _refresh_failed(found: Classification, raw: ApideckErrorBody) -> ConnectorError:
    """Final (reconnect) only with ``credentials_expire_at_ms``; otherwise Vault keeps the
    credentials and a later call may succeed."""
    debug = raw.detail.get("debug") if isinstance(raw.detail, dict) else None
    if isinstance(debug, dict) and debug.get("credentials_expire_at_ms") is not None:
        return AuthError(
            "Apideck could not refresh the Dropbox connection and will drop its "
            f"credentials; reconnect it through Vault ({found.body.summary})",
            code=REFRESH_FAILED,
            **found.common,
        )
    return TransientError(
        f"Apideck could not refresh the Dropbox connection this time; it keeps the "
        f"credentials and retries after a cooldown ({found.body.summary})",
        retry_after=_refresh_wait(debug, datetime.now(UTC)),
        outcome_unknown=False,
        **found.common,
    )


def _unauthorized(found: Classification) -> ConnectorError:
    body = found.body
    if body.code in AUTH_TYPE_NAMES:
        return AuthError(
            f"the Vault connection is unusable; reconnect it ({body.summary})",
            code=body.code,
            **found.common,
        )
    return ConfigurationError(
        "Apideck rejected our API key or app id: check APIDECK_API_KEY and APIDECK_APP_ID "
        f"({body.summary})",
        code=body.code or "unauthorized",
        detail=body.detail,
        **found.common,
    )


def _special(found: Classification) -> ConnectorError | None:
    status, body = found.response.status_code, found.body
    refusal: dict[str, Any] = {"code": body.code, "detail": body.detail, **found.common}
    if body.code == "ConnectorRateLimitError":
        return TransientError(
            f"rate limited downstream ({body.summary})",
            retry_after=body.retry_after,
            outcome_unknown=False,
            **found.common,
        )
    raw = error_body(found.response)
    # The spec names 401 and 400 for a failed token refresh.
    if raw is not None and raw.detail_type == REFRESH_FAILED:
        return _refresh_failed(found, raw)
    if status == 401:
        return _unauthorized(found)
    if body.code in AUTH_TYPE_NAMES:
        return AuthError(
            f"the Vault connection is missing or unusable; reconnect it ({body.summary})",
            code=body.code,
            **found.common,
        )
    if status == 402 or body.code == "RequestLimitError":
        return QuotaExceededError(
            f"the Apideck plan's request quota is exhausted; not retrying ({body.summary})",
            **{**refusal, "code": body.code or "payment_required"},
        )
    if body.code == "InvalidCursorError":
        return InvalidCursorError(
            f"the page cursor is no longer valid; restart the listing ({body.summary})", **refusal
        )
    if body.code in CONFIG_TYPE_NAMES:
        return ConfigurationError(f"Apideck is not set up as expected ({body.summary})", **refusal)
    return None


APIDECK_ERRORS = ProviderErrors(
    provider=PROVIDER, display_name="Apideck", parse=parse_error_body, special=_special
)
