"""OAuth 2 for Dropbox and Qonto: authorize URLs, code exchange, refresh, revoke, and the
``TokenSource`` seam the API clients ask for tokens.

Dropbox: https://developers.dropbox.com/oauth-guide and
https://www.dropbox.com/developers/documentation/http/documentation#oauth2-token
Qonto: https://docs.qonto.com/api-reference/business-api/authentication/oauth2/create_tokens and
https://docs.qonto.com/api-reference/business-api/authentication/oauth/refresh-token-endpoint

Token values never appear in ``repr``/``str``, logs or exception messages.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import Literal
from typing import Protocol
from urllib.parse import urlencode

import requests

from connectors.config import DropboxConfig
from connectors.config import QontoConfig
from connectors.errors import AuthError
from connectors.errors import ConfigurationError
from connectors.errors import ConnectorError
from connectors.errors import ErrorContext
from connectors.errors import PermanentError
from connectors.errors import TransientError
from connectors.errors import shorten
from connectors.http import ConnectorSession
from connectors.http import RetryPolicy
from connectors.http import build_session
from connectors.http import call_with_retries
from connectors.http import parse_retry_after
from connectors.http import read_json
from connectors.http import request_id_of
from connectors.http import retry_any
from connectors.http import retry_if_not_sent

logger = logging.getLogger("connectors.oauth")

Provider = Literal["dropbox", "qonto"]
ProviderConfig = DropboxConfig | QontoConfig

DROPBOX_SCOPES = ("files.metadata.read", "files.content.read", "account_info.read")
QONTO_SCOPES = (
    "supplier_invoice.write",
    "supplier_invoice.read",
    "attachment.write",
    "organization.read",
    "offline_access",
)
REFRESH_MARGIN = timedelta(seconds=300)
# Qonto keeps a rotated refresh token usable for 60 s, so a refresh whose answer was lost can be
# retried with the same token as long as the retries stay well inside that window.
REFRESH_RETRY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=5.0, budget=20.0)
EXCHANGE_RETRY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=5.0, budget=10.0)
QONTO_SANDBOX_HINT = (
    " — Qonto's sandbox answers HTML when the X-Qonto-Staging-Token header is missing or wrong; "
    "check QONTO_STAGING_TOKEN and QONTO_OAUTH_URL"
)
_SECRET_FORM_FIELDS = frozenset(
    {"code", "refresh_token", "client_secret", "code_verifier", "token"}
)
_SECRET_FIELDS = frozenset({"access_token", "refresh_token", "id_token", "code", "client_secret"})


@dataclass(frozen=True)
class TokenSet:
    """What a token endpoint granted. ``extras`` is the raw answer minus every secret field."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime
    scopes: tuple[str, ...] = ()
    account_id: str | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")

    def __repr__(self) -> str:
        refresh = "set" if self.refresh_token else "none"
        return (
            f"TokenSet(access_token=[REDACTED], refresh_token={refresh}, "
            f"expires_at={self.expires_at.isoformat()}, scopes={self.scopes!r}, "
            f"account_id={self.account_id!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True)
class PkcePair:
    verifier: str = field(repr=False)
    challenge: str
    method: str = "S256"


def make_pkce_pair() -> PkcePair:
    """RFC 7636 S256: 86-character urlsafe verifier, challenge = b64url(sha256(verifier))."""
    verifier = secrets.token_urlsafe(64)
    return PkcePair(verifier=verifier, challenge=pkce_challenge(verifier))


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_state() -> str:
    """An unguessable ``state`` value; the callback view compares it with the session's copy."""
    return secrets.token_urlsafe(32)


def dropbox_authorize_url(
    config: DropboxConfig, *, state: str, redirect_uri: str, code_challenge: str
) -> str:
    """https://www.dropbox.com/developers/documentation/http/documentation#oauth2-authorize"""
    config.require_credentials()
    query = {
        "client_id": config.app_key,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "state": state,
        "token_access_type": "offline",
        "scope": " ".join(DROPBOX_SCOPES),
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    return f"{config.web_url}/oauth2/authorize?{urlencode(query)}"


def qonto_authorize_url(
    config: QontoConfig,
    *,
    state: str,
    redirect_uri: str,
    code_challenge: str | None = None,
    organization_id: str | None = None,
) -> str:
    """https://docs.qonto.com/api-reference/business-api/authentication/oauth2/retrieve_authorization

    PKCE is not documented by Qonto (Hydra accepts it); it is only sent when asked for.
    """
    config.require_credentials()
    query = {
        "client_id": config.client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": " ".join(QONTO_SCOPES),
        "state": state,
    }
    if code_challenge:
        query["code_challenge"] = code_challenge
        query["code_challenge_method"] = "S256"
    if organization_id:
        query["organization_id"] = organization_id
    return f"{config.oauth_url}/oauth2/auth?{urlencode(query)}"


def needs_refresh(token_set: TokenSet, now: datetime, margin: timedelta = REFRESH_MARGIN) -> bool:
    return token_set.expires_at - now <= margin


# --- Token endpoint ------------------------------------------------------------------------------


def _token_url(provider: Provider, config: ProviderConfig) -> str:
    if isinstance(config, DropboxConfig):
        return f"{config.api_url}/oauth2/token"
    return f"{config.oauth_url}/oauth2/token"


def _client_fields(config: ProviderConfig) -> dict[str, str]:
    if isinstance(config, DropboxConfig):
        fields = {"client_id": config.app_key}
        if config.app_secret:
            fields["client_secret"] = config.app_secret
        return fields
    return {"client_id": config.client_id, "client_secret": config.client_secret}


def _check_pair(provider: Provider, config: ProviderConfig) -> None:
    expected = DropboxConfig if provider == "dropbox" else QontoConfig
    if not isinstance(config, expected):
        raise TypeError(f"{provider} needs a {expected.__name__}, got {type(config).__name__}")
    config.require_credentials()


def _headers(config: ProviderConfig) -> dict[str, str]:
    return config.staging_headers() if isinstance(config, QontoConfig) else {}


def _post_token(
    provider: Provider,
    config: ProviderConfig,
    form: dict[str, str],
    *,
    session: ConnectorSession | None,
    sleep: Callable[[float], None],
    policy: RetryPolicy,
    retry_on: Callable[[TransientError], bool],
) -> dict[str, Any]:
    http = session or build_session(provider=provider)
    secret_values = [
        *(value for name, value in form.items() if name in _SECRET_FORM_FIELDS),
        *_headers(config).values(),
    ]

    def attempt() -> dict[str, Any]:
        response = http.post(_token_url(provider, config), data=form, headers=_headers(config))
        return _token_payload(provider, response, secret_values)

    return call_with_retries(attempt, policy=policy, sleep=sleep, should_retry=retry_on)


def _token_payload(
    provider: Provider, response: requests.Response, secret_values: Iterable[str]
) -> dict[str, Any]:
    hint = QONTO_SANDBOX_HINT if provider == "qonto" else ""
    status = response.status_code
    secrets = list(secret_values)
    context: ErrorContext = {
        "provider": provider,
        "status": status,
        "request_id": request_id_of(response),
        "secrets": secrets,
    }
    if status == 429 or status >= 500:
        raise TransientError(
            f"the token endpoint answered HTTP {status}",
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            outcome_unknown=status != 429,
            **context,
        )
    if 300 <= status < 400:
        location = response.headers.get("Location", "?")
        raise PermanentError(f"the token endpoint redirected to {location}{hint}", **context)
    body = read_json(
        response, provider=provider, expected="a token response", hint=hint, secrets=secrets
    )
    if not isinstance(body, dict):
        raise PermanentError(
            "the token endpoint answered something other than a JSON object", **context
        )
    if status == 200 and isinstance(body.get("access_token"), str):
        return body
    raise _token_refusal(body, context)


def _token_refusal(body: Mapping[str, Any], context: ErrorContext) -> ConnectorError:
    """The error a token endpoint's refusal stands for: a dead grant, our client credentials, or
    a refusal of this request."""
    error = str(body.get("error") or "")
    if isinstance(body.get("error"), dict):  # Dropbox-style envelope on some 4xx
        error = str(body["error"].get(".tag") or "")
    description = shorten(str(body.get("error_description") or body.get("error_summary") or ""))
    explanation = f": {description}" if description else ""
    status = context.get("status")
    if error == "invalid_grant":
        return AuthError(
            f"the grant is no longer valid (invalid_grant{explanation}); the user must reconnect",
            code=error,
            **context,
        )
    if error in ("invalid_client", "unauthorized_client") or status == 401:
        return ConfigurationError(
            f"the token endpoint rejected our client credentials ({error or 'HTTP 401'}"
            f"{explanation}); check the app key/secret settings",
            code=error or None,
            detail=description or None,
            **context,
        )
    return PermanentError(
        f"the token endpoint refused the request ({error or 'HTTP ' + str(status)}{explanation})",
        code=error or None,
        detail=description or None,
        **context,
    )


def token_set_from_response(
    body: Mapping[str, Any], *, now: datetime, refresh_token: str | None = None
) -> TokenSet:
    """Build a ``TokenSet`` from a token endpoint's JSON. ``refresh_token`` is kept when the answer
    carries none (Dropbox refreshes never return a new one)."""
    expires_in = body.get("expires_in")
    try:
        seconds = float(expires_in) if expires_in is not None else 3600.0
    except (TypeError, ValueError):
        seconds = 3600.0
    scope = body.get("scope")
    scopes = tuple(sorted(scope.split())) if isinstance(scope, str) else ()
    account = body.get("account_id") or body.get("team_id")
    new_refresh = body.get("refresh_token")
    return TokenSet(
        access_token=str(body["access_token"]),
        refresh_token=str(new_refresh) if new_refresh else refresh_token,
        expires_at=now + timedelta(seconds=seconds),
        scopes=scopes,
        account_id=str(account) if account else None,
        extras={key: value for key, value in body.items() if key not in _SECRET_FIELDS},
    )


def exchange_code(
    provider: Provider,
    config: ProviderConfig,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str | None = None,
    session: ConnectorSession | None = None,
    now: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> TokenSet:
    """Trade the authorization code for tokens. A code is single-use, so only failures that
    certainly did not reach the provider are retried."""
    _check_pair(provider, config)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    client = _client_fields(config)
    if provider == "dropbox" and code_verifier:
        # Dropbox: with PKCE the verifier replaces the client secret at this step.
        client.pop("client_secret", None)
    form.update(client)
    if code_verifier:
        form["code_verifier"] = code_verifier
    body = _post_token(
        provider,
        config,
        form,
        session=session,
        sleep=sleep,
        policy=EXCHANGE_RETRY,
        retry_on=retry_if_not_sent,
    )
    return token_set_from_response(body, now=now or datetime.now(UTC))


def refresh(
    provider: Provider,
    config: ProviderConfig,
    refresh_token: str,
    *,
    session: ConnectorSession | None = None,
    now: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> TokenSet:
    """Use the refresh token. Dropbox returns no new refresh token (the old one is kept); Qonto
    rotates it, so the caller must persist the returned ``TokenSet`` atomically."""
    _check_pair(provider, config)
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **_client_fields(config)}
    body = _post_token(
        provider,
        config,
        form,
        session=session,
        sleep=sleep,
        policy=REFRESH_RETRY,
        retry_on=retry_any,
    )
    return token_set_from_response(body, now=now or datetime.now(UTC), refresh_token=refresh_token)


def revoke(
    provider: Provider,
    config: ProviderConfig,
    token_set: TokenSet,
    *,
    session: ConnectorSession | None = None,
) -> None:
    """Revoke at the provider. A token the provider already considers invalid counts as revoked;
    ``TransientError`` means the provider could not be reached (wipe locally anyway, and log).

    Dropbox: ``POST /2/auth/token/revoke`` kills the access token, its refresh token and siblings
    (https://www.dropbox.com/developers/documentation/http/documentation#auth-token-revoke).
    Qonto: ``DELETE /v2/oauth2/consents`` (https://docs.qonto.com/api-reference/business-api/
    authentication/oauth2/revoke-oauth-consents), then a best-effort RFC 7009 ``/oauth2/revoke``.
    """
    _check_pair(provider, config)
    http = session or build_session(provider=provider)
    if isinstance(config, DropboxConfig):
        url = f"{config.api_url}/2/auth/token/revoke"
        _revoke_with_bearer(provider, config, http, "POST", url, token_set)
        return
    url = f"{config.api_url}/v2/oauth2/consents"
    _revoke_with_bearer(provider, config, http, "DELETE", url, token_set)
    if token_set.refresh_token:
        form = {
            "token": token_set.refresh_token,
            "token_type_hint": "refresh_token",
            **_client_fields(config),
        }
        try:
            response = http.post(
                f"{config.oauth_url}/oauth2/revoke", data=form, headers=_headers(config)
            )
            if response.status_code >= 400:
                logger.warning(
                    "qonto: refresh-token revocation answered HTTP %s (consents already deleted)",
                    response.status_code,
                )
        except ConnectorError as error:
            logger.warning("qonto: refresh-token revocation failed: %s", error.message)


def _revoke_with_bearer(
    provider: Provider,
    config: ProviderConfig,
    http: ConnectorSession,
    method: str,
    url: str,
    token_set: TokenSet,
) -> None:
    token = token_set.access_token
    refreshed = False
    while True:
        headers = {"Authorization": f"Bearer {token}", **_headers(config)}
        response = http.request(method, url, headers=headers)
        status = response.status_code
        if status == 401 and not refreshed and token_set.refresh_token:
            # An expired access token cannot revoke; a fresh one can. If the refresh itself says
            # invalid_grant, the grant is already gone, which is what we wanted.
            try:
                token = refresh(
                    provider, config, token_set.refresh_token, session=http
                ).access_token
            except AuthError:
                return
            refreshed = True
            continue
        if status in (200, 204) or status == 401:
            return
        if status == 429 or status >= 500:
            raise TransientError(
                f"revocation answered HTTP {status}",
                provider=provider,
                status=status,
                request_id=request_id_of(response),
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        raise PermanentError(
            f"revocation refused: HTTP {status}",
            provider=provider,
            status=status,
            request_id=request_id_of(response),
            secrets=[token],
        )


# --- Token sources -------------------------------------------------------------------------------


class TokenSource(Protocol):
    """Where a client gets its access token. ``refresh_after_unauthorized`` is called at most
    once per logical call, after the provider rejected ``rejected_token`` as expired/invalid; an
    implementation shared by several workers must refresh only if ``rejected_token`` is still the
    current token (another worker may have refreshed already) and raise ``AuthError`` when the
    grant is gone."""

    def access_token(self) -> str: ...

    def refresh_after_unauthorized(self, rejected_token: str) -> str: ...


class StaticTokenSource:
    """A fixed token: API-key setups (Qonto ``login:secret``) and tests. It cannot refresh, so a
    rejected token is an ``AuthError``."""

    def __init__(self, token: str, *, provider: str) -> None:
        self._token = token
        self._provider = provider

    def __repr__(self) -> str:
        return f"StaticTokenSource(provider={self._provider!r}, token=[REDACTED])"

    def access_token(self) -> str:
        return self._token

    def refresh_after_unauthorized(self, rejected_token: str) -> str:
        raise AuthError(
            "the provider rejected the configured token and it cannot be refreshed",
            provider=self._provider,
            status=401,
            code="unauthorized",
            secrets=[self._token, rejected_token],
        )


def renew_token_set(
    provider: Provider,
    config: ProviderConfig,
    current: TokenSet,
    *,
    rejected_token: str | None,
    now: datetime,
    margin: timedelta = REFRESH_MARGIN,
    session: ConnectorSession | None = None,
) -> TokenSet | None:
    """The rule every ``TokenSource`` applies while holding its lock (a thread lock, or the
    Connection row's ``select_for_update``): the ``TokenSet`` to persist, or None when
    ``current`` is still good.

    - ``rejected_token`` given (a 401): refresh only if it is still the current access token;
      otherwise another worker refreshed meanwhile and ``current`` is returned as is (None).
    - ``rejected_token`` None (before a call): refresh when ``current`` expires within ``margin``.

    Raises ``AuthError`` when the grant is gone (no refresh token, ``invalid_grant``).
    """
    if rejected_token is not None:
        if current.access_token != rejected_token:
            return None
        if not current.refresh_token:
            raise AuthError(
                "the access token was rejected and there is no refresh token",
                provider=provider,
                status=401,
                code="unauthorized",
                secrets=[rejected_token],
            )
    elif not current.refresh_token or not needs_refresh(current, now, margin):
        return None
    assert current.refresh_token is not None
    fresh = refresh(provider, config, current.refresh_token, session=session, now=now)
    if fresh.account_id is None and current.account_id is not None:
        fresh = replace(fresh, account_id=current.account_id)
    return fresh


class InMemoryTokenSource:
    """A refreshing token source held in memory, safe to share between threads: concurrent
    callers that saw the same token rejected cause exactly one refresh. ``on_refresh`` receives
    every new ``TokenSet`` (persist it; Qonto has just rotated the refresh token).

    The production source (tokens encrypted on the Connection row) applies the same
    ``renew_token_set`` under ``select_for_update`` instead of a thread lock.
    """

    def __init__(
        self,
        provider: Provider,
        config: ProviderConfig,
        token_set: TokenSet,
        *,
        session: ConnectorSession | None = None,
        on_refresh: Callable[[TokenSet], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        margin: timedelta = REFRESH_MARGIN,
    ) -> None:
        self._provider = provider
        self._config = config
        self._token_set = token_set
        self._session = session
        self._on_refresh = on_refresh
        self._clock = clock
        self._margin = margin
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"InMemoryTokenSource(provider={self._provider!r}, {self._token_set!r})"

    @property
    def token_set(self) -> TokenSet:
        return self._token_set

    def access_token(self) -> str:
        return self._renew(rejected_token=None)

    def refresh_after_unauthorized(self, rejected_token: str) -> str:
        return self._renew(rejected_token=rejected_token)

    def _renew(self, *, rejected_token: str | None) -> str:
        with self._lock:
            fresh = renew_token_set(
                self._provider,
                self._config,
                self._token_set,
                rejected_token=rejected_token,
                now=self._clock(),
                margin=self._margin,
                session=self._session,
            )
            if fresh is not None:
                self._token_set = fresh
                if self._on_refresh is not None:
                    self._on_refresh(fresh)
            return self._token_set.access_token


class AuthorizedCall:
    """One logical API call's view of a ``TokenSource``: the first 401 that says the token is
    expired or invalid triggers exactly one refresh for the whole call, retries included."""

    def __init__(self, source: TokenSource) -> None:
        self._source = source
        self._refreshed = False
        self.tokens_used: list[str] = []

    def send(
        self,
        send: Callable[[str], requests.Response],
        *,
        is_token_rejected: Callable[[requests.Response], bool],
    ) -> requests.Response:
        token = self._source.access_token()
        self.tokens_used.append(token)
        response = send(token)
        if response.status_code == 401 and not self._refreshed and is_token_rejected(response):
            self._refreshed = True
            response.close()
            token = self._source.refresh_after_unauthorized(token)
            self.tokens_used.append(token)
            response = send(token)
        return response
