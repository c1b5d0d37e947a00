"""Error taxonomy shared by every connector, plus the redaction every message goes through.

The caller only ever needs to know which family an error belongs to:

- ``TransientError``: try again later (network, timeouts, 5xx, 429); ``retry_after`` says when.
- ``AuthError``: the user's grant is gone (401, revoked, ``invalid_grant``); never retried, the
  connection goes to ``needs_reauth``.
- ``PermanentError``: the request itself is wrong (other 4xx, validation); retrying the same
  request gives the same answer.
- ``ProtocolError``: the answer is not what the API documents (HTML, truncated JSON, wrong shape).

Every message is redacted at construction, so ``str(error)`` is safe for logs and the admin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[REDACTED]"

# Keys whose values are secrets wherever they appear: JSON bodies, form bodies, query strings,
# header dumps. ``code`` is deliberately absent: JSON error bodies use it for error codes, which
# the admin must see; the OAuth ``code`` is caught by the query/form pattern below instead.
_SECRET_KEYS = (
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "code_verifier",
    "session_token",
    "staging_token",
    "api_key",
    "apikey",
    "password",
    "secret",
    "token",
    "authorization",
    "x-qonto-staging-token",
    "x-apideck-api-key",
)
_KEY_ALTERNATION = "|".join(re.escape(key) for key in _SECRET_KEYS)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "Authorization: Bearer xyz", "'Authorization': 'login:secret'" (header dumps).
    (
        re.compile(r"(?i)(['\"]?authorization['\"]?\s*[:=]\s*['\"]?)([^'\"\r\n,}]+)"),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=:-]{8,}"), r"\1 " + REDACTED),
    # JSON "key": "value" and repr 'key': 'value'.
    (
        re.compile(rf"(?i)(['\"](?:{_KEY_ALTERNATION})['\"]\s*:\s*['\"])([^'\"]*)(['\"])"),
        r"\1" + REDACTED + r"\3",
    ),
    # key=value in query strings and form bodies, including the OAuth authorization code.
    (
        re.compile(rf"(?i)(?<![A-Za-z0-9_])((?:{_KEY_ALTERNATION}|code)=)([^&\s'\"]+)"),
        r"\1" + REDACTED,
    ),
    # Token shapes that are recognisable on their own: Qonto/Hydra and Dropbox short-lived.
    (re.compile(r"\bory_(?:at|rt|ac)_[A-Za-z0-9._~+/=-]+"), REDACTED),
    (re.compile(r"\bsl\.[A-Za-z0-9._~+/=-]{16,}"), REDACTED),
    # Apideck Vault session links carry the session token in the path.
    (re.compile(r"(/session/)[A-Za-z0-9._~+/=-]+"), r"\1" + REDACTED),
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return ``text`` with known secret values and secret-looking fields replaced.

    ``secrets`` are exact values to remove (the token a request used, the client secret); they
    are replaced first so a secret that matches no pattern still never leaks. Values shorter than
    four characters are ignored: replacing them would shred ordinary words.
    """
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def shorten(text: str, limit: int = 300) -> str:
    """Collapse whitespace and cut ``text`` so a provider's whole HTML page never lands in a
    message."""
    collapsed = " ".join(text.split())
    if len(collapsed) <= limit:
        return collapsed
    return collapsed[: limit - 1] + "…"


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
        provider: str,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        outcome_unknown: bool = True,
        secrets: Iterable[str | None] = (),
    ) -> None:
        super().__init__(
            message, provider=provider, status=status, request_id=request_id, secrets=secrets
        )
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown


class AuthError(ConnectorError):
    """The grant is unusable (401 after one refresh, revoked, ``invalid_grant``, missing scope).
    Never retried: the caller marks the connection ``needs_reauth`` and notifies its owner."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        request_id: str | None = None,
        code: str | None = None,
        secrets: Iterable[str | None] = (),
    ) -> None:
        super().__init__(
            message, provider=provider, status=status, request_id=request_id, secrets=secrets
        )
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
        provider: str,
        status: int | None = None,
        request_id: str | None = None,
        code: str | None = None,
        detail: str | None = None,
        pointer: str | None = None,
        trace_id: str | None = None,
        secrets: Iterable[str | None] = (),
    ) -> None:
        super().__init__(
            message, provider=provider, status=status, request_id=request_id, secrets=secrets
        )
        self.code = code
        self.detail = redact(detail, secrets) if detail is not None else None
        self.pointer = pointer
        self.trace_id = trace_id or request_id


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
        provider: str,
        status: int | None = None,
        request_id: str | None = None,
        expected: str = "",
        received: str = "",
        secrets: Iterable[str | None] = (),
    ) -> None:
        super().__init__(
            message, provider=provider, status=status, request_id=request_id, secrets=secrets
        )
        self.expected = expected
        self.received = redact(received, secrets)


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
