"""Qonto's OAuth endpoints (Ory Hydra underneath): authorize with auto-consent, token with
code exchange and rotating refresh tokens, RFC 7009 revoke, and consent deletion."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import TYPE_CHECKING
from typing import Any

from connectors.sandbox.constants import QONTO_SCOPES
from connectors.sandbox.oauth import Grant
from connectors.sandbox.oauth import OAuthError
from connectors.sandbox.oauth import client_credentials
from connectors.sandbox.wire import Request
from connectors.sandbox.wire import Response
from connectors.sandbox.wire import html_page
from connectors.sandbox.wire import html_response
from connectors.sandbox.wire import json_response
from connectors.sandbox.wire import redirect_response
from connectors.sandbox.wire import with_query

if TYPE_CHECKING:
    from connectors.sandbox.qonto import QontoEmulator

ACCESS_TOKEN_SECONDS = 3600
_INVALID_GRANT = (
    "The provided authorization grant (e.g., authorization code, resource owner credentials) "
    "or refresh token is invalid, expired, revoked, does not match the redirection URI used in "
    "the authorization request, or was issued to another client."
)


def authorize(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    """``GET /oauth2/auth``: the user consents at once and is sent back with code and state."""
    redirect_uri = request.arg("redirect_uri")
    state = request.arg("state")
    if request.arg("client_id") != emulator.client_id:
        return html_response(
            400, html_page("Error", "<p>invalid_client: Client authentication failed.</p>")
        )
    if not redirect_uri or not redirect_uri.startswith(("http://", "https://")):
        return html_response(
            400, html_page("Error", "<p>invalid_request: redirect_uri is invalid.</p>")
        )

    def fail(error: str, description: str) -> Response:
        return redirect_response(
            with_query(
                redirect_uri, {"error": error, "error_description": description, "state": state}
            )
        )

    if request.arg("response_type") != "code":
        return fail(
            "unsupported_response_type",
            "The authorization server does not support obtaining a token using this method.",
        )
    if not state or len(state) < 8:
        return fail(
            "invalid_state",
            "The state is missing or does not have enough characters and is therefore "
            "considered too weak. Request parameter 'state' must be at least be 8 characters "
            "long to ensure sufficient entropy.",
        )
    scopes = tuple((request.arg("scope") or "").split())
    for scope in scopes:
        if scope not in QONTO_SCOPES:
            return fail(
                "invalid_scope",
                "The requested scope is invalid, unknown, or malformed. The OAuth 2.0 Client "
                f"is not allowed to request scope '{scope}'.",
            )
    challenge = request.arg("code_challenge")
    method = request.arg("code_challenge_method") or ("plain" if challenge else None)
    if challenge is not None and method not in ("S256", "plain"):
        return fail("invalid_request", "code_challenge_method must be S256 or plain")
    if emulator.consent != "allow":
        return fail("access_denied", "The resource owner denied the request")
    code = emulator.tokens.issue_code(
        client_id=emulator.client_id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        code_challenge=challenge,
        code_challenge_method=method,
        offline="offline_access" in scopes,
    )
    # The consenting member grants access to one organisation: the current one.
    emulator.code_organizations[code.code] = emulator.current_key()
    return redirect_response(
        with_query(redirect_uri, {"code": code.code, "scope": " ".join(scopes), "state": state})
    )


def _client(emulator: QontoEmulator, request: Request) -> str:
    if request.content_type != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "The request is missing a form-encoded body.")
    client_id, client_secret = client_credentials(request)
    if client_id != emulator.client_id or not hmac.compare_digest(
        client_secret or "", emulator.client_secret
    ):
        raise OAuthError(
            "invalid_client",
            "Client authentication failed (e.g., unknown client, no client authentication "
            "included, or unsupported authentication method).",
            status=401,
        )
    return client_id


def _oauth_error(error: OAuthError) -> Response:
    description = error.description
    if error.error == "invalid_grant":
        description = f"{_INVALID_GRANT} {error.description}"
    return json_response(error.status, {"error": error.error, "error_description": description})


def token(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    """``POST /oauth2/token``: ``authorization_code`` or ``refresh_token`` (which rotates)."""
    try:
        client_id = _client(emulator, request)
        grant_type = request.form_value("grant_type")
        if grant_type == "authorization_code":
            code, grant = emulator.tokens.redeem_code(
                request.form_value("code"),
                client_id=client_id,
                client_secret_ok=True,
                redirect_uri=request.form_value("redirect_uri"),
                code_verifier=request.form_value("code_verifier"),
            )
            key = emulator.code_organizations.pop(code.code, None) or emulator.current_key()
            emulator.grant_organizations[grant.id] = key
            access = emulator.tokens.issue_access(grant)
            with emulator.bound_to(key):
                return json_response(
                    200, token_payload(emulator, grant.scopes, access.token, grant)
                )
        if grant_type == "refresh_token":
            # The refreshed pair belongs to the same grant, so to the same organisation.
            grant, access, refresh = emulator.tokens.refresh(
                request.form_value("refresh_token"), client_id=client_id
            )
            with emulator.bound_to(emulator.grant_organizations.get(grant.id)):
                payload = token_payload(emulator, grant.scopes, access.token, None)
            if refresh is not None:
                payload["refresh_token"] = refresh.token
            return json_response(200, payload)
        raise OAuthError(
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )
    except OAuthError as error:
        return _oauth_error(error)


def token_payload(
    emulator: QontoEmulator, scopes: tuple[str, ...], access_token: str, grant: Grant | None
) -> dict[str, Any]:
    """The token response; a refresh token is issued for ``grant`` when ``offline_access``."""
    payload: dict[str, Any] = {
        "access_token": access_token,
        "expires_in": ACCESS_TOKEN_SECONDS,
        "scope": " ".join(scopes),
        "token_type": "bearer",
    }
    if grant is not None and "offline_access" in scopes:
        payload["refresh_token"] = emulator.tokens.issue_refresh(grant).token
    if "openid" in scopes:
        payload["id_token"] = _id_token(emulator)
    return payload


def _id_token(emulator: QontoEmulator) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    now = int(emulator.clock.timestamp())
    claims = {
        "iss": emulator.base_url + "/",
        "sub": emulator.organization_id,
        "aud": [emulator.client_id],
        "iat": now,
        "exp": now + ACCESS_TOKEN_SECONDS,
    }
    signing_input = part({"alg": "HS256", "typ": "JWT"}) + "." + part(claims)
    signature = hmac.new(
        emulator.client_secret.encode(), signing_input.encode(), hashlib.sha256
    ).digest()
    return signing_input + "." + base64.urlsafe_b64encode(signature).decode().rstrip("=")


def revoke(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    """``POST /oauth2/revoke`` (RFC 7009): revokes the grant behind an access or refresh token;
    unknown tokens are fine (200)."""
    try:
        _client(emulator, request)
    except OAuthError as error:
        return _oauth_error(error)
    emulator.tokens.revoke_token(request.form_value("token"))
    return Response(status=200)


def delete_consents(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    """``DELETE /v2/oauth2/consents``: the membership disconnects the app."""
    emulator.authenticate(request, "organization.read", api_key_ok=False)
    organization = emulator.current_key()
    for grant in emulator.tokens.grants.values():
        if (
            grant.client_id == emulator.client_id
            and emulator.grant_organizations.get(grant.id, organization) == organization
        ):
            grant.revoked = True
    return Response(status=204)
