"""Apideck Vault endpoints: sessions (the hosted page auto-connects Dropbox in demo mode and
redirects back), connections (get/patch/delete, switchable state and health), validate, and the
authorize/revoke links a connection advertises."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from connectors.sandbox.apideck_errors import BROKEN_HEALTH
from connectors.sandbox.apideck_errors import apideck_error
from connectors.sandbox.apideck_errors import decode_state
from connectors.sandbox.apideck_errors import encode_state
from connectors.sandbox.apideck_errors import recoverable_refresh_detail
from connectors.sandbox.apideck_errors import refresh_failure_detail
from connectors.sandbox.clock import epoch_millis
from connectors.sandbox.wire import BadRequestError
from connectors.sandbox.wire import HttpError
from connectors.sandbox.wire import Request
from connectors.sandbox.wire import Response
from connectors.sandbox.wire import empty_response
from connectors.sandbox.wire import escape_html
from connectors.sandbox.wire import html_page
from connectors.sandbox.wire import html_response
from connectors.sandbox.wire import json_response
from connectors.sandbox.wire import redirect_response

if TYPE_CHECKING:
    from connectors.sandbox.apideck import ApideckEmulator
    from connectors.sandbox.apideck import Connection

SESSION_SECONDS = 3600
MAX_SESSION_SECONDS = 7 * 24 * 3600


@dataclass
class Session:
    token: str
    consumer_id: str
    redirect_uri: str | None
    expires_at: float
    settings: dict[str, Any]
    completed: bool = False


def create_session(emulator: ApideckEmulator, request: Request, params: dict[str, str]) -> Response:
    consumer_id = emulator.check_headers(request)
    try:
        payload = request.json() if request.body else {}
    except BadRequestError:
        raise HttpError(
            apideck_error(400, "RequestValidationError", "Invalid Params", "Body is not JSON")
        ) from None
    if not isinstance(payload, dict):
        raise HttpError(
            apideck_error(400, "RequestValidationError", "Invalid Params", "Expected an object")
        )
    redirect_uri = payload.get("redirect_uri")
    if redirect_uri is not None and not (
        isinstance(redirect_uri, str) and redirect_uri.startswith(("http://", "https://"))
    ):
        raise HttpError(
            apideck_error(
                400,
                "RequestValidationError",
                "Invalid Params",
                {"redirect_uri": "must be a URL"},
            )
        )
    settings = payload.get("settings") or {}
    seconds = _session_seconds(settings.get("session_length"))
    metadata = payload.get("consumer_metadata") or {}
    emulator.consumers[consumer_id] = {**emulator.consumers.get(consumer_id, {}), **metadata}
    token = secrets.token_urlsafe(24)
    emulator.sessions[token] = Session(
        token=token,
        consumer_id=consumer_id,
        redirect_uri=redirect_uri,
        expires_at=emulator.clock.timestamp() + seconds,
        settings=settings,
    )
    return json_response(
        200,
        {
            "status_code": 200,
            "status": "OK",
            "data": {
                "session_uri": emulator.url(f"/vault/session/{token}"),
                "session_token": token,
            },
        },
    )


def session_page(emulator: ApideckEmulator, request: Request, params: dict[str, str]) -> Response:
    session = emulator.sessions.get(params["token"])
    if session is None or emulator.clock.timestamp() >= session.expires_at:
        return html_response(
            400, html_page("Vault", "<p>This session is invalid or has expired.</p>")
        )
    if request.method == "GET" and not emulator.auto_complete_sessions:
        body = (
            "<h1>Connect Dropbox</h1><form method='post'>"
            "<button type='submit'>Authorize Dropbox</button></form>"
        )
        return html_response(200, html_page("Apideck Vault", body))
    session.completed = True
    emulator.connect(session.consumer_id)
    if session.redirect_uri:
        return redirect_response(session.redirect_uri)
    return html_response(200, html_page("Apideck Vault", "<p>Dropbox is connected.</p>"))


def list_connections(
    emulator: ApideckEmulator, request: Request, params: dict[str, str]
) -> Response:
    consumer_id = emulator.check_headers(request)
    api = request.arg("api")
    connections = [
        emulator.connection_json(connection)
        for connection in emulator.connections.values()
        if connection.consumer_id == consumer_id and (api is None or connection.unified_api == api)
    ]
    if request.arg("configured") == "true":
        connections = [c for c in connections if c["integration_state"] == "configured"]
    return json_response(200, {"status_code": 200, "status": "OK", "data": connections})


def _find_connection(
    emulator: ApideckEmulator, request: Request, params: dict[str, str]
) -> Connection:
    consumer_id = emulator.check_headers(request)
    connection = emulator.connections.get(consumer_id)
    if (
        connection is None
        or connection.unified_api != params["unified_api"]
        or connection.service_id != params["service_id"]
    ):
        raise HttpError(
            apideck_error(
                404,
                "ConnectionNotFoundError",
                "Connection Not Found",
                f"No connection {params['unified_api']}+{params['service_id']} "
                f"for consumer '{consumer_id}'",
            )
        )
    return connection


def connection(emulator: ApideckEmulator, request: Request, params: dict[str, str]) -> Response:
    connection = _find_connection(emulator, request, params)
    if request.method == "DELETE":
        del emulator.connections[connection.consumer_id]
        return empty_response(204)
    if request.method == "PATCH":
        payload = request.json()
        if not isinstance(payload, dict):
            raise BadRequestError("expected a JSON object")
        if isinstance(payload.get("enabled"), bool):
            connection.enabled = payload["enabled"]
        if isinstance(payload.get("settings"), dict):
            connection.settings.update(payload["settings"])
        connection.updated_at_ms = epoch_millis(emulator.clock.now())
    return json_response(
        200, {"status_code": 200, "status": "OK", "data": emulator.connection_json(connection)}
    )


def validate(emulator: ApideckEmulator, request: Request, params: dict[str, str]) -> Response:
    connection = _find_connection(emulator, request, params)
    now_ms = epoch_millis(emulator.clock.now())
    if connection.refresh_unavailable and connection.state == "callable":
        return apideck_error(
            401, "UnauthorizedError", "Unauthorized Request", recoverable_refresh_detail(now_ms)
        )
    if connection.refresh_fails or connection.health in BROKEN_HEALTH:
        emulator.break_connection(connection, now_ms)
        return apideck_error(
            401, "UnauthorizedError", "Unauthorized Request", refresh_failure_detail(now_ms)
        )
    if connection.state != "callable":
        return apideck_error(
            401,
            "ConnectorCredentialsError",
            "Connector Credentials Error",
            "The connection has no valid credentials",
        )
    connection.updated_at_ms = now_ms
    return json_response(
        200,
        {
            "status_code": 200,
            "status": "OK",
            "data": {"id": connection.id, "state": "callable"},
        },
    )


def authorize(emulator: ApideckEmulator, request: Request, params: dict[str, str]) -> Response:
    state = decode_state(request.arg("state") or "")
    if state is None or params["application_id"] != emulator.app_id:
        return html_response(400, html_page("Vault", "<p>Invalid authorization request.</p>"))
    emulator.connect(str(state["consumer_id"]))
    redirect_uri = request.arg("redirect_uri")
    if redirect_uri:
        return redirect_response(redirect_uri)
    return html_response(200, html_page("Apideck Vault", "<p>Dropbox is connected.</p>"))


def revoke(emulator: ApideckEmulator, request: Request, params: dict[str, str]) -> Response:
    state = decode_state(request.arg("state") or "")
    if state is None or params["application_id"] != emulator.app_id:
        return html_response(400, html_page("Vault", "<p>Invalid revoke request.</p>"))
    connection = emulator.connections.get(str(state["consumer_id"]))
    if connection is not None:
        connection.state, connection.health = "added", "revoked"
        connection.updated_at_ms = epoch_millis(emulator.clock.now())
    redirect_uri = request.arg("redirect_uri")
    if redirect_uri:
        return redirect_response(redirect_uri)
    return html_response(
        200, html_page("Apideck Vault", f"<p>{escape_html('Dropbox is disconnected.')}</p>")
    )


def _session_seconds(value: Any) -> float:
    if value is None:
        return SESSION_SECONDS
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    text = str(value)
    try:
        seconds = float(text[:-1]) * units[text[-1]]
    except (KeyError, ValueError, IndexError):
        raise HttpError(
            apideck_error(
                400,
                "RequestValidationError",
                "Invalid Params",
                {"settings.session_length": "must look like 30m, 1h or 7d"},
            )
        ) from None
    return min(seconds, MAX_SESSION_SECONDS)


def connection_json(emulator: ApideckEmulator, connection: Connection) -> dict[str, Any]:
    state_token = encode_state({"consumer_id": connection.consumer_id})
    return {
        "id": connection.id,
        "service_id": connection.service_id,
        "name": "Dropbox",
        "tag_line": "Dropbox is a file hosting service.",
        "unified_api": connection.unified_api,
        "state": connection.state,
        "integration_state": "configured",
        "auth_type": "oauth2",
        "oauth_grant_type": "authorization_code",
        "status": "live",
        "enabled": connection.enabled,
        "website": "https://www.dropbox.com",
        "icon": "https://res.cloudinary.com/apideck/image/upload/v1/icons/dropbox.png",
        "logo": "https://res.cloudinary.com/apideck/image/upload/v1/logos/dropbox.png",
        "authorize_url": emulator.url(
            f"/vault/authorize/{connection.service_id}/{emulator.app_id}?state={state_token}"
        ),
        "revoke_url": emulator.url(
            f"/vault/revoke/{connection.service_id}/{emulator.app_id}?state={state_token}"
        ),
        "settings": connection.settings,
        "metadata": {},
        "form_fields": [],
        "configuration": [],
        "configurable_resources": [],
        "resource_schema_support": [],
        "resource_settings_support": [],
        "validation_support": True,
        "schema_support": False,
        "settings_required_for_authorization": [],
        "subscriptions": [],
        "has_guide": True,
        "health": connection.health,
        "credentials_expire_at": 0,
        "last_refresh_failed_at": connection.last_refresh_failed_at_ms,
        "last_downstream_error_at": 0,
        "created_at": connection.created_at_ms,
        "updated_at": connection.updated_at_ms,
    }
