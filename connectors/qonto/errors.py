"""How Qonto's error answers read (https://docs.qonto.com/get-started/general/errors.md): the
JSON:API ``errors[]`` array (``code``/``detail``/``source.pointer|parameter``), the transactions
endpoint's ``message`` instead of ``detail``, older ``status``/``message`` 422s, and a
``trace_id`` support asks for. A 403 that names a scope means the grant is too narrow."""

from __future__ import annotations

from typing import Any

import requests

from connectors.errors import AuthError
from connectors.errors import Classification
from connectors.errors import ConnectorError
from connectors.errors import ErrorBody
from connectors.errors import ProviderErrors
from connectors.errors import raise_for_status
from connectors.oauth import QONTO_SANDBOX_HINT
from connectors.qonto.bulk import parse_item_error
from connectors.redaction import shorten
from connectors.responses import describe_body

PROVIDER = "qonto"


def parse_error_body(response: requests.Response) -> ErrorBody:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    code, detail, pointer, trace_id = _first_error(body)
    text = detail or describe_body(response)
    summary = shorten(f"{code or 'HTTP ' + str(response.status_code)}: {text}")
    return ErrorBody(code=code, detail=detail, pointer=pointer, trace_id=trace_id, summary=summary)


def _first_error(body: Any) -> tuple[str | None, str | None, str | None, str | None]:
    """(code, detail, pointer, trace_id) from Qonto's error shapes."""
    if not isinstance(body, dict):
        return None, None, None, None
    trace_id = body.get("trace_id") if isinstance(body.get("trace_id"), str) else None
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        parsed = parse_item_error(errors[0])
        return parsed.code, parsed.detail, parsed.pointer, trace_id
    code = body.get("code") or body.get("error")
    detail = body.get("message") or body.get("detail") or body.get("error_description")
    return (str(code) if code else None, str(detail) if detail else None, None, trace_id)


def _special(found: Classification) -> ConnectorError | None:
    body = found.body
    if found.response.status_code == 403 and "scope" in (body.detail or "").lower():
        return AuthError(
            f"the Qonto grant lacks a required scope ({body.summary}); reconnect Qonto",
            code=body.code or "missing_scope",
            **found.common,
        )
    return None


QONTO_ERRORS = ProviderErrors(
    provider=PROVIDER,
    display_name="Qonto",
    parse=parse_error_body,
    special=_special,
    hint=QONTO_SANDBOX_HINT,
    html_success_is_protocol_error=True,
)


def raise_for_qonto_status(
    response: requests.Response, *, secrets: list[str] | tuple[str, ...] = ()
) -> None:
    """Map a Qonto answer to the taxonomy."""
    raise_for_status(response, QONTO_ERRORS, secrets=secrets)
