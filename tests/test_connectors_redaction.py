from __future__ import annotations

import logging
from datetime import UTC
from datetime import datetime

import pytest

from connectors.config import ApideckConfig
from connectors.config import DropboxConfig
from connectors.config import QontoConfig
from connectors.errors import AuthError
from connectors.errors import PermanentError
from connectors.errors import ProtocolError
from connectors.errors import TransientError
from connectors.errors import redact
from connectors.http import RedactingFilter
from connectors.oauth import StaticTokenSource
from connectors.oauth import TokenSet
from connectors.oauth import make_pkce_pair

ACCESS = "sl.u.AAAAbbbbCCCCddddEEEEffff0123456789"
REFRESH = "ory_rt_ZZZZyyyyXXXXwwww0123456789"


@pytest.mark.parametrize(
    ("text", "expected", "_case"),
    [
        (
            "Authorization: Bearer abcdefgh12345678",
            "Authorization: [REDACTED]",
            "authorization header",
        ),
        ("sent bearer abcdefgh12345678 to x", "sent bearer [REDACTED] to x", "bearer anywhere"),
        (
            '{"access_token": "abc123xyz", "token_type": "bearer"}',
            '{"access_token": "[REDACTED]", "token_type": "bearer"}',
            "json access token",
        ),
        (
            "{'refresh_token': 'r-123456', 'expires_in': 3600}",
            "{'refresh_token': '[REDACTED]', 'expires_in': 3600}",
            "python repr",
        ),
        (
            "grant_type=authorization_code&code=AbC123&client_secret=s3cr3t&client_id=app",
            "grant_type=authorization_code&code=[REDACTED]&client_secret=[REDACTED]&client_id=app",
            "form body",
        ),
        (
            "https://well.example/cb?code=AbC123&state=xyz",
            "https://well.example/cb?code=[REDACTED]&state=xyz",
            "callback url",
        ),
        (
            '{"errors": [{"code": "invalid", "detail": "file too large"}]}',
            '{"errors": [{"code": "invalid", "detail": "file too large"}]}',
            "error codes stay visible",
        ),
        ("error_code=reset", "error_code=reset", "suffix code key is not a secret"),
        (f"token was {REFRESH}, then", "token was [REDACTED], then", "hydra token shape"),
        (f"used {ACCESS}", "used [REDACTED]", "dropbox token shape"),
        (
            "open https://vault.apideck.com/session/eyJhbGciOi.abc",
            "open https://vault.apideck.com/session/[REDACTED]",
            "vault session link",
        ),
        (
            '"X-Qonto-Staging-Token": "stg-123456"',
            '"X-Qonto-Staging-Token": "[REDACTED]"',
            "staging token header",
        ),
    ],
)
def test_redact_patterns(text: str, expected: str, _case: str) -> None:
    assert redact(text) == expected


def test_redact_removes_exact_secret_values_that_match_no_pattern() -> None:
    api_key = "acme-sas:7f9c2ba4e88f827d616045507605853e"

    assert redact(f"rejected key {api_key} for acme", [api_key, None, ""]) == (
        "rejected key [REDACTED] for acme"
    )


def test_error_messages_are_redacted_and_carry_context() -> None:
    error = PermanentError(
        f"refused {ACCESS} with client_secret=hunter22",
        provider="qonto",
        status=400,
        request_id="req-1",
        code="invalid",
        detail=f"token {ACCESS}",
        pointer="/file",
    )

    assert str(error) == (
        "qonto: refused [REDACTED] with client_secret=[REDACTED] (HTTP 400, request id req-1)"
    )
    assert error.detail == "token [REDACTED]"
    assert error.trace_id == "req-1"
    assert ACCESS not in repr(error)


def test_every_error_family_carries_provider_status_and_request_id() -> None:
    errors = [
        TransientError("t", provider="dropbox", status=503, request_id="a", retry_after=2.0),
        AuthError("a", provider="dropbox", status=401, request_id="b", code="invalid_grant"),
        PermanentError("p", provider="apideck", status=404, request_id="c"),
        ProtocolError("x", provider="qonto", status=200, request_id="d"),
    ]

    assert [(e.provider, e.status, e.request_id) for e in errors] == [
        ("dropbox", 503, "a"),
        ("dropbox", 401, "b"),
        ("apideck", 404, "c"),
        ("qonto", 200, "d"),
    ]
    assert errors[0].retry_after == 2.0  # type: ignore[attr-defined]


def test_token_set_repr_hides_tokens() -> None:
    token_set = TokenSet(
        access_token=ACCESS,
        refresh_token=REFRESH,
        expires_at=datetime(2026, 1, 1, tzinfo=UTC),
        scopes=("files.content.read",),
        account_id="dbid:1",
    )

    shown = repr(token_set) + str(token_set) + f"{token_set}"

    assert ACCESS not in shown
    assert REFRESH not in shown
    assert repr(token_set) == (
        "TokenSet(access_token=[REDACTED], refresh_token=set, "
        "expires_at=2026-01-01T00:00:00+00:00, scopes=('files.content.read',), "
        "account_id='dbid:1')"
    )


def test_configs_pkce_and_token_sources_hide_secrets() -> None:
    pair = make_pkce_pair()
    shown = " ".join(
        [
            repr(DropboxConfig(app_key="key", app_secret="dropbox-app-secret")),
            repr(ApideckConfig(api_key="apideck-api-key", app_id="app")),
            repr(QontoConfig(client_secret="qonto-client-secret", staging_token="qonto-stg")),
            repr(pair),
            repr(StaticTokenSource(ACCESS, provider="dropbox")),
        ]
    )

    for secret in (
        "dropbox-app-secret",
        "apideck-api-key",
        "qonto-client-secret",
        "qonto-stg",
        pair.verifier,
        ACCESS,
    ):
        assert secret not in shown


def test_redacting_filter_cleans_any_record() -> None:
    record = logging.LogRecord(
        "django.request", logging.INFO, __file__, 1, "callback %s", ("?code=abc123&state=s",), None
    )

    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "callback ?code=[REDACTED]&state=s"
