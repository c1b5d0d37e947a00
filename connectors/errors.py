"""Error taxonomy shared by every connector, and the one ladder that classifies an answer.

The caller only ever needs to know which family an error belongs to:

- ``TransientError``: try again later (network, timeouts, 5xx, 429); ``retry_after`` says when.
- ``AuthError``: the user's grant is gone (401, revoked, ``invalid_grant``); never retried, the
  connection goes to ``needs_reauth``.
- ``PermanentError``: the request itself is wrong (other 4xx, validation); retrying the same
  request gives the same answer.
- ``ProtocolError``: the answer is not what the API documents (HTML, truncated JSON, wrong shape).

Every message is redacted at construction, so ``str(error)`` is safe for logs and the admin.
``raise_for_status`` turns an HTTP answer into one of these; each client only supplies a small
``ProviderErrors`` hook for the bodies and cases its provider has.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import NamedTuple
from typing import NotRequired
from typing import TypedDict
from typing import Unpack

import requests

from connectors.redaction import REDACTED as REDACTED
from connectors.redaction import redact as redact
from connectors.redaction import shorten as shorten
from connectors.responses import describe_body
from connectors.responses import looks_like_html
from connectors.responses import parse_retry_after
from connectors.responses import request_id_of


class ErrorContext(TypedDict):
    """Where an error comes from: every connector error takes these keyword arguments."""

    provider: str
    status: NotRequired[int | None]
    request_id: NotRequired[str | None]
    secrets: NotRequired[Iterable[str | None]]


class ConnectorError(Exception):
    """Base of every connector failure. ``message`` is redacted and meant for humans."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        request_id: str | None = None,
        secrets: Iterable[str | None] = (),
    ) -> None:
        self.message = redact(message, secrets)
        self.provider = provider
        self.status = status
        self.request_id = request_id
        super().__init__(self.message)

    def __str__(self) -> str:
        context = [f"HTTP {self.status}"] if self.status is not None else []
        if self.request_id:
            context.append(f"request id {self.request_id}")
        suffix = f" ({', '.join(context)})" if context else ""
        return f"{self.provider}: {self.message}{suffix}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class TransientError(ConnectorError):
    """Worth retrying later: network failure, timeout, 5xx or 429.

    ``outcome_unknown`` is True when the request may have reached the provider (read timeout,
    connection dropped after sending, 5xx): a write must then be looked up before it is re-sent
    unless it carries an idempotency key the provider honours.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        outcome_unknown: bool = True,
        **context: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown


class AuthError(ConnectorError):
    """The grant is unusable (401 after one refresh, revoked, ``invalid_grant``, missing scope).
    Never retried: the caller marks the connection ``needs_reauth`` and notifies its owner."""

    def __init__(
        self, message: str, *, code: str | None = None, **context: Unpack[ErrorContext]
    ) -> None:
        super().__init__(message, **context)
        self.code = code


class PermanentError(ConnectorError):
    """The provider refused this request and will refuse it again unchanged.

    ``code``/``detail``/``pointer`` are the provider's own error fields (``pointer`` is a JSON
    pointer or parameter name); ``trace_id`` is what the provider's support asks for, and
    falls back to the request id.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        detail: str | None = None,
        pointer: str | None = None,
        trace_id: str | None = None,
        **context: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, **context)
        self.code = code
        self.detail = redact(detail, context.get("secrets", ())) if detail is not None else None
        self.pointer = pointer
        self.trace_id = trace_id or context.get("request_id")


class NotFoundError(PermanentError):
    """The file, invoice or transaction does not exist (any more) at the provider."""


class ConfigurationError(PermanentError):
    """Our own credentials or settings are wrong (API key, app id, client secret): an operator
    must fix settings; reconnecting the user's account would not help."""


class ProtocolError(ConnectorError):
    """The answer does not match the documented contract. The message says what was expected
    and what came instead."""

    def __init__(
        self,
        message: str,
        *,
        expected: str = "",
        received: str = "",
        **context: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, **context)
        self.expected = expected
        self.received = redact(received, context.get("secrets", ()))


class FileTooLargeError(PermanentError):
    """A file is above a size limit (ours or the provider's); ``size`` is None when the body was
    cut off while streaming because it had no trustworthy Content-Length."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        filename: str,
        size: int | None,
        limit: int,
        status: int | None = None,
        request_id: str | None = None,
        code: str | None = "file_too_large",
    ) -> None:
        super().__init__(
            message, provider=provider, status=status, request_id=request_id, code=code
        )
        self.filename = filename
        self.size = size
        self.limit = limit


# --- Classifying an answer -----------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorBody:
    """What a provider's error answer says, read by its own ``parse`` hook.

    ``code`` is the provider's error code (Dropbox tag chain, Apideck ``type_name``, Qonto
    ``errors[0].code``), ``summary`` the short human text used in messages, ``retry_after`` a wait
    the body asks for (Dropbox and Apideck put it there, not only in the header).
    """

    code: str | None = None
    detail: str | None = None
    pointer: str | None = None
    trace_id: str | None = None
    retry_after: float | None = None
    summary: str = ""


class Classification(NamedTuple):
    """What the provider hook sees: the answer, its parsed body and the keyword arguments every
    error of this answer carries (provider, status, request id, secrets)."""

    response: requests.Response
    body: ErrorBody
    common: Mapping[str, Any]


@dataclass(frozen=True)
class ProviderErrors:
    """The per-provider part of the ladder: how to read an error body, and the cases only this
    provider has (``special`` returns an error to raise, or None to fall through to the ladder).
    ``hint`` is appended to protocol errors (Qonto's sandbox answers HTML without its header)."""

    provider: str
    display_name: str
    parse: Callable[[requests.Response], ErrorBody]
    special: Callable[[Classification], ConnectorError | None] | None = None
    hint: str = ""
    html_success_is_protocol_error: bool = False
    not_found_statuses: frozenset[int] = frozenset({404})


def raise_for_status(
    response: requests.Response, errors: ProviderErrors, *, secrets: Iterable[str | None] = ()
) -> None:
    """The one 2xx/3xx/429/5xx/provider/401/404/4xx ladder of every client.

    2xx passes; 3xx is a protocol error (an API call is never redirected); 429 and 5xx are
    transient (429 surely unprocessed, 5xx maybe processed), waiting what the header or the body
    asks; then the provider's own cases; then 401 is an auth error, 404 not found, and any other
    status a permanent refusal carrying the provider's code, detail and pointer.
    """
    status = response.status_code
    request_id = request_id_of(response)
    common: dict[str, Any] = {
        "provider": errors.provider,
        "status": status,
        "request_id": request_id,
        "secrets": list(secrets),
    }
    if 200 <= status < 300:
        if errors.html_success_is_protocol_error and looks_like_html(response):
            received = describe_body(response)
            raise ProtocolError(
                f"expected JSON, received {received}{errors.hint}",
                expected="JSON",
                received=received,
                **common,
            )
        return
    if 300 <= status < 400:
        location = response.headers.get("Location", "?")
        raise ProtocolError(
            f"expected JSON, received a redirect to {shorten(location, 120)}{errors.hint}",
            expected="JSON",
            received=f"redirect to {location}",
            **common,
        )
    body = errors.parse(response)
    if body.trace_id:
        common["request_id"] = body.trace_id
    raise _classify(response, errors, body, common)


def raise_for_status_closing(
    response: requests.Response, errors: ProviderErrors, *, secrets: Iterable[str | None] = ()
) -> None:
    """:func:`raise_for_status`, closing a refused response first: a streamed body would hold its
    pooled connection until the error is garbage-collected."""
    try:
        raise_for_status(response, errors, secrets=secrets)
    except BaseException:
        response.close()
        raise


def _classify(
    response: requests.Response,
    errors: ProviderErrors,
    body: ErrorBody,
    common: dict[str, Any],
) -> ConnectorError:
    status = response.status_code
    description = body.summary or f"HTTP {status}: {describe_body(response)}"
    header_wait = parse_retry_after(response.headers.get("Retry-After"))
    retry_after = header_wait if header_wait is not None else body.retry_after
    if status == 429:
        return TransientError(
            f"rate limited ({description})",
            retry_after=retry_after,
            outcome_unknown=False,
            **common,
        )
    if status >= 500:
        return TransientError(f"server error ({description})", retry_after=retry_after, **common)
    if errors.special is not None:
        found = errors.special(Classification(response, body, common))
        if found is not None:
            return found
    name = errors.display_name
    if status == 401:
        return AuthError(
            f"{name} refused the credentials ({description}); reconnect {name}",
            code=body.code or "unauthorized",
            **common,
        )
    refusal: dict[str, Any] = {
        "code": body.code,
        "detail": body.detail,
        "pointer": body.pointer,
        "trace_id": body.trace_id,
        **common,
    }
    if status in errors.not_found_statuses:
        return NotFoundError(
            f"not found at {name} ({description})", **{**refusal, "code": body.code or "not_found"}
        )
    where = f", at {body.pointer}" if body.pointer else ""
    return PermanentError(f"{name} refused the request ({description}{where})", **refusal)
