"""Dropbox OAuth 2 endpoints: ``/oauth2/authorize`` (auto-consent, or denial when switched) and
``/oauth2/token`` (authorization code with client secret or PKCE; refresh without rotation)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from connectors.sandbox.constants import DROPBOX_ACCOUNT_ID
from connectors.sandbox.constants import DROPBOX_SCOPES
from connectors.sandbox.constants import DROPBOX_UID
from connectors.sandbox.oauth import AccessToken
from connectors.sandbox.oauth import OAuthError
from connectors.sandbox.oauth import client_credentials
from connectors.sandbox.wire import Request
from connectors.sandbox.wire import Response
from connectors.sandbox.wire import escape_html
from connectors.sandbox.wire import html_page
from connectors.sandbox.wire import html_response
from connectors.sandbox.wire import json_response
from connectors.sandbox.wire import redirect_response
from connectors.sandbox.wire import with_query

if TYPE_CHECKING:
    from connectors.sandbox.dropbox import DropboxEmulator

ACCESS_TOKEN_SECONDS = 14400


def authorize(emulator: DropboxEmulator, request: Request, params: dict[str, str]) -> Response:
    """``GET /oauth2/authorize``: auto-consent, straight back to ``redirect_uri``."""
    client_id = request.arg("client_id")
    redirect_uri = request.arg("redirect_uri")
    state = request.arg("state")
    if client_id != emulator.app_key:
        return html_response(400, html_page("Dropbox - 400", "<p>Invalid client_id.</p>"))
    if redirect_uri is not None and (
        not redirect_uri.startswith(("http://", "https://"))
        or (
            emulator.allowed_redirect_uris is not None
            and redirect_uri not in emulator.allowed_redirect_uris
        )
    ):
        return html_response(400, html_page("Dropbox - 400", "<p>Invalid redirect_uri.</p>"))

    def fail(error: str, description: str) -> Response:
        if redirect_uri is None:
            return html_response(400, html_page("Dropbox - 400", escape_html(description)))
        return redirect_response(
            with_query(
                redirect_uri,
                {"error": error, "error_description": description, "state": state},
            )
        )

    if request.arg("response_type") != "code":
        return fail("unsupported_response_type", "response_type must be code")
    access_type = request.arg("token_access_type")
    if access_type not in (None, "online", "offline", "legacy"):
        return fail("invalid_request", "token_access_type must be online, offline or legacy")
    scope_text = request.arg("scope")
    scopes = tuple(scope_text.split()) if scope_text else DROPBOX_SCOPES
    unknown = [scope for scope in scopes if scope not in DROPBOX_SCOPES]
    if unknown:
        return fail("invalid_scope", f"unknown scope: {unknown[0]}")
    if request.arg("include_granted_scopes") is not None and scope_text is None:
        return fail("invalid_request", "include_granted_scopes requires scope")
    challenge = request.arg("code_challenge")
    method = request.arg("code_challenge_method")
    if challenge is not None:
        method = method or "plain"
        if method not in ("S256", "plain") or not 43 <= len(challenge) <= 128:
            return fail("invalid_request", "invalid code_challenge or code_challenge_method")
    if emulator.consent != "allow":
        return fail("access_denied", "The user chose not to give your app access.")
    code = emulator.tokens.issue_code(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        code_challenge=challenge,
        code_challenge_method=method if challenge else None,
        offline=access_type == "offline",
    )
    if redirect_uri is None:
        body = f"<p>Enter this code into your app: <code>{escape_html(code.code)}</code></p>"
        return html_response(200, html_page("Dropbox - API Request Authorized", body))
    return redirect_response(with_query(redirect_uri, {"code": code.code, "state": state}))


def token(emulator: DropboxEmulator, request: Request, params: dict[str, str]) -> Response:
    """``POST /oauth2/token``: code exchange (secret or PKCE) and refresh (no new refresh token)."""
    try:
        return _token_grant(emulator, request)
    except OAuthError as error:
        return json_response(
            error.status, {"error": error.error, "error_description": error.description}
        )


def _token_grant(emulator: DropboxEmulator, request: Request) -> Response:
    if request.content_type != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "expected a form-encoded body")
    form = request.form()
    client_id, client_secret = client_credentials(request)
    if client_id is None:
        raise OAuthError("invalid_request", "No auth function available for given request")
    if client_id != emulator.app_key:
        raise OAuthError("invalid_client", "Invalid client_id or client_secret")
    if client_secret is not None and client_secret != emulator.app_secret:
        raise OAuthError("invalid_client", "Invalid client_id or client_secret")
    secret_ok = client_secret is not None
    grant_type = form.get("grant_type", [None])[0]
    if grant_type == "authorization_code":
        code, grant = emulator.tokens.redeem_code(
            form.get("code", [None])[0],
            client_id=client_id,
            client_secret_ok=secret_ok,
            redirect_uri=form.get("redirect_uri", [None])[0],
            code_verifier=form.get("code_verifier", [None])[0],
        )
        access = emulator.tokens.issue_access(grant)
        refresh = emulator.tokens.issue_refresh(grant) if code.offline else None
        return json_response(
            200, token_payload(emulator, access, refresh.token if refresh else None)
        )
    if grant_type == "refresh_token":
        token = form.get("refresh_token", [None])[0]
        record = emulator.tokens.refresh_tokens.get(token or "")
        known = emulator.tokens.grants.get(record.grant_id) if record else None
        if known is not None and not known.public_client and not secret_ok:
            raise OAuthError("invalid_client", "client_secret is required for this app")
        requested = form.get("scope", [None])[0]
        if requested is not None and known is not None:
            wanted = tuple(requested.split())
            if not set(wanted) <= set(known.scopes):
                raise OAuthError("invalid_scope", "requested scope exceeds the granted scope")
        _, access, _ = emulator.tokens.refresh(token, client_id=client_id)
        if requested is not None:
            access.scopes = tuple(requested.split())
        return json_response(
            200,
            {
                "access_token": access.token,
                "token_type": "bearer",
                "expires_in": ACCESS_TOKEN_SECONDS,
            },
        )
    raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")


def token_payload(
    emulator: DropboxEmulator, access: AccessToken, refresh_token: str | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "access_token": access.token,
        "token_type": "bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
    }
    if refresh_token is not None:
        payload["refresh_token"] = refresh_token
    payload.update(
        {
            "scope": " ".join(sorted(access.scopes)),
            "uid": DROPBOX_UID,
            "account_id": DROPBOX_ACCOUNT_ID,
        }
    )
    return payload
