"""Redaction every connector message goes through: known secret values and secret-looking
fields (tokens, keys, passwords, OAuth codes, Vault session links) are replaced before any text
reaches a log, an exception or the admin."""

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
