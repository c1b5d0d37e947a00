"""Apideck Unify emulator (../shared/reference/apideck.md): File Storage over a Dropbox
connection, and the Vault (sessions, connections, validate).

It reads the files of a :class:`~connectors.sandbox.files.FileStore`, normally the Dropbox
emulator's, as a real Apideck Dropbox connection reads the user's Dropbox. Unified ids are the
Dropbox ids without their ``id:`` prefix (opaque to clients); ``root`` is the root folder.

Choices where the reference is silent (**unverified** there):

- A consumer without a file-storage connection gets 404 ``ConnectionNotFoundError``; a disabled
  connection 401 ``ConnectorDisabledError``; a connection whose state is ``invalid`` or whose
  health is ``needs_auth``/``revoked`` 401 ``UnauthorizedError`` with the
  ``refresh_token_connector_error`` detail; any other non-callable state 401
  ``ConnectorCredentialsError``.
- ``limit`` outside 1..200 and unknown ``filter[...]`` keys are 400 ``RequestValidationError``;
  ``filter[drive_id]``/``filter[shared]`` are 400 ``UnsupportedFiltersError`` for Dropbox.
- Listing is direct children only, folders and files together, ordered by path unless
  ``sort[by]`` asks otherwise; a page cursor is valid only for its folder.
- ``DELETE /vault/connections/...`` answers 204, and 404 ``ConnectionNotFoundError`` once the
  connection is gone; ``ms`` epoch fields are 0 when unset.
- ``set_connection(refresh_unavailable=True)`` (or the 401 fault ``"error":
  "refresh_recoverable"``): a refresh failure Apideck retries, without
  ``credentials_expire_at_ms``; ``null_fields``: file names and ``meta.warnings`` null.
- An injected 401 fault carries the refresh-token detail unless ``"error": "api_key"``.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Unpack
from urllib.parse import quote

from connectors.sandbox import apideck_vault
from connectors.sandbox.apideck_errors import BROKEN_HEALTH
from connectors.sandbox.apideck_errors import REASONS
from connectors.sandbox.apideck_errors import apideck_error
from connectors.sandbox.apideck_errors import decode_state
from connectors.sandbox.apideck_errors import encode_state
from connectors.sandbox.apideck_errors import recoverable_refresh_detail
from connectors.sandbox.apideck_errors import refresh_failure_detail
from connectors.sandbox.apideck_vault import Session
from connectors.sandbox.clock import epoch_millis
from connectors.sandbox.clock import iso_millis
from connectors.sandbox.constants import APIDECK_API_KEY
from connectors.sandbox.constants import APIDECK_APP_ID
from connectors.sandbox.constants import DROPBOX_ACCOUNT_EMAIL
from connectors.sandbox.constants import DROPBOX_ACCOUNT_ID
from connectors.sandbox.dropbox import rate_limit_body
from connectors.sandbox.files import FileStore
from connectors.sandbox.files import Node
from connectors.sandbox.files import parent_of
from connectors.sandbox.server import Address
from connectors.sandbox.server import Emulator
from connectors.sandbox.server import Route
from connectors.sandbox.server import StatusFault
from connectors.sandbox.server import control_json
from connectors.sandbox.server import route
from connectors.sandbox.wire import HttpError
from connectors.sandbox.wire import Request
from connectors.sandbox.wire import Response
from connectors.sandbox.wire import html_page
from connectors.sandbox.wire import html_response
from connectors.sandbox.wire import json_response
from connectors.sandbox.wire import with_query

CONNECTION_STATES = ("available", "callable", "added", "authorized", "invalid")
CONNECTION_HEALTH = (
    "revoked",
    "missing_settings",
    "needs_consent",
    "pending_confirmation",
    "needs_auth",
    "pending_refresh",
    "ok",
    "degraded",
)


@dataclass
class Connection:
    consumer_id: str
    created_at_ms: int
    updated_at_ms: int
    service_id: str = "dropbox"
    unified_api: str = "file-storage"
    enabled: bool = True
    state: str = "callable"
    health: str = "ok"
    # When set, the next refresh (validate, or any call) fails and the connection breaks.
    refresh_fails: bool = False
    # When set, refreshes fail recoverably (401 without credentials_expire_at_ms) and the
    # connection keeps its credentials.
    refresh_unavailable: bool = False
    last_refresh_failed_at_ms: int = 0
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.unified_api}+{self.service_id}"


class ApideckEmulator(Emulator):
    name = "apideck"
    custom_fault_kinds = frozenset({"warning"})

    def __init__(
        self,
        *,
        api_key: str = APIDECK_API_KEY,
        app_id: str = APIDECK_APP_ID,
        files: FileStore | None = None,
        **address: Unpack[Address],
    ) -> None:
        self.api_key = api_key
        self.app_id = app_id
        # Demo mode: opening a Vault session URL connects Dropbox at once and redirects back.
        self.auto_complete_sessions = True
        super().__init__(**address)
        self.owns_files = files is None
        self.files = files or FileStore(self.clock)

    def reset_state(self) -> None:
        self.consumers: dict[str, dict[str, Any]] = {}
        self.connections: dict[str, Connection] = {}
        self.sessions: dict[str, Session] = {}
        self.auto_complete_sessions = True
        # Answer with the fields the spec allows to be null set to null (file names,
        # meta.warnings), so clients prove they cope.
        self.null_fields = False
        if getattr(self, "owns_files", False):
            self.files.reset()

    # --- Python helpers --------------------------------------------------------------------------

    def connect(self, consumer_id: str, **changes: Any) -> Connection:
        """Give ``consumer_id`` a callable Dropbox connection (as a completed Vault flow does)."""
        with self.lock:
            now = epoch_millis(self.clock.now())
            connection = self.connections.get(consumer_id)
            if connection is None:
                connection = Connection(consumer_id, created_at_ms=now, updated_at_ms=now)
                self.connections[consumer_id] = connection
            connection.state, connection.health, connection.enabled = "callable", "ok", True
            connection.refresh_fails = connection.refresh_unavailable = False
            self.consumers.setdefault(consumer_id, {})
            return self.set_connection(consumer_id, **changes) if changes else connection

    def set_connection(
        self,
        consumer_id: str,
        *,
        state: str | None = None,
        health: str | None = None,
        enabled: bool | None = None,
        refresh_fails: bool | None = None,
        refresh_unavailable: bool | None = None,
    ) -> Connection:
        """Switch a connection's state/health (e.g. ``state="invalid", health="needs_auth"``)."""
        with self.lock:
            connection = self.connections[consumer_id]
            if state is not None:
                if state not in CONNECTION_STATES:
                    raise ValueError(f"state must be one of {CONNECTION_STATES}")
                connection.state = state
            if health is not None:
                if health not in CONNECTION_HEALTH:
                    raise ValueError(f"health must be one of {CONNECTION_HEALTH}")
                connection.health = health
            if enabled is not None:
                connection.enabled = enabled
            if refresh_fails is not None:
                connection.refresh_fails = refresh_fails
            if refresh_unavailable is not None:
                connection.refresh_unavailable = refresh_unavailable
            connection.updated_at_ms = epoch_millis(self.clock.now())
            return connection

    def disconnect(self, consumer_id: str) -> None:
        with self.lock:
            self.connections.pop(consumer_id, None)

    def unified_id(self, dropbox_reference: str) -> str:
        """The Apideck id of a Dropbox path or ``id:``."""
        node = self.files.lookup(dropbox_reference)
        if node is None:
            raise KeyError(dropbox_reference)
        return node.id.removeprefix("id:")

    def state_snapshot(self) -> dict[str, Any]:
        return {
            "consumers": self.consumers,
            "connections": [self.connection_json(c) for c in self.connections.values()],
            "sessions": [
                {
                    "consumer_id": s.consumer_id,
                    "completed": s.completed,
                    "redirect_uri": s.redirect_uri,
                }
                for s in self.sessions.values()
            ],
            "files": self.files.snapshot() if self.owns_files else "shared with dropbox",
        }

    # --- routes ----------------------------------------------------------------------------------

    def build_routes(self) -> list[Route]:
        return [
            route("GET", "/file-storage/files", self._list_files),
            route("GET", "/file-storage/files/{file_id}", self._get_file),
            route("GET", "/file-storage/files/{file_id}/download", self._download),
            route("GET", "/file-storage/folders/{folder_id}", self._get_folder),
            route("POST", "/vault/sessions", self._bind(apideck_vault.create_session)),
            route(
                ("GET", "POST"), "/vault/session/{token}", self._bind(apideck_vault.session_page)
            ),
            route("GET", "/vault/connections", self._bind(apideck_vault.list_connections)),
            route(
                ("GET", "PATCH", "DELETE"),
                "/vault/connections/{unified_api}/{service_id}",
                self._bind(apideck_vault.connection),
            ),
            route(
                "POST",
                "/vault/connections/{unified_api}/{service_id}/validate",
                self._bind(apideck_vault.validate),
            ),
            route(
                "GET",
                "/vault/authorize/{service_id}/{application_id}",
                self._bind(apideck_vault.authorize),
            ),
            route(
                "GET",
                "/vault/revoke/{service_id}/{application_id}",
                self._bind(apideck_vault.revoke),
            ),
        ]

    def build_control_routes(self) -> list[Route]:
        return [
            route("POST", "/_sandbox/connection", self._control_connection),
            route("POST", "/_sandbox/settings", self._control_settings),
        ]

    def response_headers(self, request: Request) -> list[tuple[str, str]]:
        return [("Request-Id", request.request_id)]

    # --- headers, connections --------------------------------------------------------------------

    def check_headers(self, request: Request) -> str:
        """The consumer id, after checking the API key and application id."""
        authorization = request.header("Authorization")
        if authorization is None:
            raise HttpError(
                apideck_error(
                    401, "UnauthorizedError", "Unauthorized Request", "Missing authentication"
                )
            )
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or key.strip() != self.api_key:
            raise HttpError(
                apideck_error(401, "UnauthorizedError", "Unauthorized Request", "Invalid API key")
            )
        app_id = request.header("x-apideck-app-id")
        if app_id != self.app_id:
            detail = "Missing application id" if app_id is None else "Invalid application id"
            raise HttpError(apideck_error(401, "UnauthorizedError", "Unauthorized Request", detail))
        consumer_id = request.header("x-apideck-consumer-id")
        if not consumer_id:
            raise HttpError(
                apideck_error(
                    400,
                    "RequestHeadersValidationError",
                    "Invalid Params",
                    {"missing": [{"x-apideck-consumer-id": "required"}]},
                )
            )
        return consumer_id

    def _callable_connection(self, request: Request) -> Connection:
        consumer_id = self.check_headers(request)
        service_id = request.header("x-apideck-service-id") or "dropbox"
        connection = self.connections.get(consumer_id)
        if connection is None or connection.service_id != service_id:
            raise HttpError(
                apideck_error(
                    404,
                    "ConnectionNotFoundError",
                    "Connection Not Found",
                    f"No file-storage connection for consumer '{consumer_id}' and service "
                    f"'{service_id}'",
                )
            )
        now_ms = epoch_millis(self.clock.now())
        if connection.refresh_fails and connection.state == "callable":
            self.break_connection(connection, now_ms)
        if connection.refresh_unavailable and connection.state == "callable":
            raise HttpError(
                apideck_error(
                    401,
                    "UnauthorizedError",
                    "Unauthorized Request",
                    recoverable_refresh_detail(now_ms),
                )
            )
        if not connection.enabled:
            raise HttpError(
                apideck_error(
                    401,
                    "ConnectorDisabledError",
                    "Connector Disabled",
                    "The connection is disabled",
                )
            )
        if connection.state == "invalid" or connection.health in BROKEN_HEALTH:
            raise HttpError(
                apideck_error(
                    401, "UnauthorizedError", "Unauthorized Request", refresh_failure_detail(now_ms)
                )
            )
        if connection.state != "callable":
            raise HttpError(
                apideck_error(
                    401,
                    "ConnectorCredentialsError",
                    "Connector Credentials Error",
                    "The connection has no valid credentials",
                )
            )
        return connection

    def break_connection(self, connection: Connection, now_ms: int) -> None:
        connection.state, connection.health = "invalid", "needs_auth"
        connection.last_refresh_failed_at_ms = now_ms
        connection.updated_at_ms = now_ms

    def connection_json(self, connection: Connection) -> dict[str, Any]:
        return apideck_vault.connection_json(self, connection)

    # --- file storage ----------------------------------------------------------------------------

    def _envelope(
        self,
        request: Request,
        operation: str,
        data: Any,
        *,
        meta: dict[str, Any] | None = None,
        links: dict[str, Any] | None = None,
        raw: Any = None,
        resource: str = "files",
    ) -> Response:
        payload: dict[str, Any] = {
            "status_code": 200,
            "status": "OK",
            "service": "dropbox",
            "resource": resource,
            "operation": operation,
            "data": data,
        }
        if meta is not None:
            payload["meta"] = meta
        if links is not None:
            payload["links"] = links
        payload["_raw"] = raw
        return json_response(200, payload)

    def _list_files(self, request: Request, params: dict[str, str]) -> Response:
        self._callable_connection(request)
        folder_id = _folder_filter(request)
        limit = _limit(request.arg("limit"))
        sort_by, direction = _sort_order(request)
        root = self._folder_path(folder_id)
        cursor_text = request.arg("cursor")
        offset = _cursor_offset(cursor_text, folder_id)
        nodes = self._children(root)
        if sort_by is not None:
            nodes.sort(
                key=lambda node: (
                    node.name.lower() if sort_by == "name" else self._times(node)[sort_by]
                ),
                reverse=direction == "desc",
            )
        page = nodes[offset : offset + limit]
        next_offset = offset + limit if offset + limit < len(nodes) else None
        next_cursor = (
            encode_state({"service": "dropbox", "folder": folder_id, "offset": next_offset})
            if next_offset is not None
            else None
        )
        return self._list_envelope(request, page, cursor_text, next_cursor)

    def _list_envelope(
        self, request: Request, page: list[Node], cursor_text: str | None, next_cursor: str | None
    ) -> Response:
        fields = request.arg("fields")
        data = [_sparse(self._file_json(node), fields) for node in page]
        current_url = self.url(
            request.path + ("?" + request.raw_query if request.raw_query else "")
        )
        raw = None
        if request.arg("raw") == "true":
            raw = {
                "entries": [node.metadata() for node in page],
                "has_more": next_cursor is not None,
            }
        return self._envelope(
            request,
            "all",
            data,
            meta={
                "items_on_page": len(data),
                "cursors": {"previous": None, "current": cursor_text, "next": next_cursor},
                **({"warnings": None} if self.null_fields else {}),
            },
            links={
                "previous": None,
                "current": current_url,
                "next": with_query(current_url, {"cursor": next_cursor}) if next_cursor else None,
            },
            raw=raw,
        )

    def _folder_path(self, folder_id: str) -> str:
        if folder_id == "root":
            return ""
        node = self.files.lookup("id:" + folder_id)
        if node is None or node.kind != "folder":
            raise HttpError(
                apideck_error(
                    404,
                    "EntityNotFoundError",
                    "Unknown Folder",
                    f"Could not find folder with id: '{folder_id}'",
                )
            )
        return node.path_lower

    def _children(self, root: str) -> list[Node]:
        with self.files.lock:
            return [
                node
                for key, node in sorted(self.files.nodes.items())
                if key != root and parent_of(key) == root
            ]

    def _times(self, node: Node) -> dict[str, str]:
        updated = node.server_modified or node.created_at
        return {"created_at": iso_millis(node.created_at), "updated_at": iso_millis(updated)}

    def _file_json(self, node: Node) -> dict[str, Any]:
        parents = [{"id": "root", "name": "/"}]
        path = ""
        for segment in node.path_display.split("/")[1:-1]:
            path += "/" + segment
            parent = self.files.lookup(path)
            if parent is not None:
                parents.append({"id": parent.id.removeprefix("id:"), "name": parent.name})
        is_file = node.kind == "file"
        mime = (
            (mimetypes.guess_type(node.name)[0] or "application/octet-stream") if is_file else None
        )
        return {
            "id": node.id.removeprefix("id:"),
            "downstream_id": node.id,
            "name": None if self.null_fields else node.name,
            "description": None,
            "type": node.kind,
            "path": node.path_display,
            "mime_type": mime,
            "downloadable": is_file,
            "size": node.size if is_file else None,
            "owner": {
                "id": DROPBOX_ACCOUNT_ID,
                "email": DROPBOX_ACCOUNT_EMAIL,
                "name": "Camille Martin",
            },
            "parent_folders": parents,
            "parent_folders_complete": True,
            "permissions": {"download": is_file},
            "exportable": False,
            "export_formats": None,
            "custom_mappings": {},
            "updated_by": DROPBOX_ACCOUNT_ID,
            "created_by": DROPBOX_ACCOUNT_ID,
            **self._times(node),
        }

    def _node(self, file_id: str) -> Node:
        node = self.files.lookup("id:" + file_id)
        if node is None:
            raise HttpError(
                apideck_error(
                    404,
                    "EntityNotFoundError",
                    "Unknown File",
                    f"Could not find file with id: '{file_id}'",
                )
            )
        return node

    def _get_file(self, request: Request, params: dict[str, str]) -> Response:
        self._callable_connection(request)
        node = self._node(params["file_id"])
        raw = node.metadata() if request.arg("raw") == "true" else None
        return self._envelope(
            request, "one", _sparse(self._file_json(node), request.arg("fields")), raw=raw
        )

    def _get_folder(self, request: Request, params: dict[str, str]) -> Response:
        """``GET /file-storage/folders/{id}``: a Folder (its name, path and parents)."""
        self._callable_connection(request)
        self._folder_path(params["folder_id"])  # 404 unless it is a folder
        folder = self._file_json(self._node(params["folder_id"]))
        data = {key: folder[key] for key in FOLDER_KEYS}
        return self._envelope(request, "one", data, resource="Folders")

    def _download(self, request: Request, params: dict[str, str]) -> Response:
        self._callable_connection(request)
        node = self._node(params["file_id"])
        if node.kind != "file":
            raise HttpError(
                apideck_error(
                    400,
                    "RequestValidationError",
                    "Invalid Params",
                    "Folders cannot be downloaded",
                )
            )
        mime = mimetypes.guess_type(node.name)[0] or "application/octet-stream"
        return Response(
            status=200,
            body=node.content,
            content_type=mime,
            headers=[
                (
                    "Content-Disposition",
                    f"attachment; filename*=UTF-8''{quote(node.name, safe='')}",
                )
            ],
        )

    def _control_settings(self, request: Request, params: dict[str, str]) -> Response:
        payload = control_json(request)
        with self.lock:
            if "null_fields" in payload:
                self.null_fields = bool(payload["null_fields"])
            return json_response(200, {"null_fields": self.null_fields})

    def _control_connection(self, request: Request, params: dict[str, str]) -> Response:
        payload = control_json(request)
        consumer_id = str(payload.pop("consumer_id"))
        if consumer_id not in self.connections or payload.pop("connect", False):
            self.connect(consumer_id)
        connection = self.set_connection(consumer_id, **payload)
        return json_response(200, self.connection_json(connection))

    # --- provider-shaped faults ----------------------------------------------------------------

    def status_fault_response(self, fault: StatusFault) -> Response:
        status, headers = fault.status, fault.headers
        if status == 401:
            detail = self._unauthorized_detail(fault.spec.get("error"))
            return apideck_error(
                401, "UnauthorizedError", "Unauthorized Request", detail, headers=headers
            )
        if status == 429:
            return _rate_limited(fault.retry_after(60), headers)
        if status >= 500:
            return apideck_error(
                status,
                "ConnectorExecutionError",
                "A Connector Error occurred",
                "The downstream service answered with an error",
                headers=headers,
                downstream_errors=[
                    {"message": REASONS.get(status, "Error"), "detail": None, "code": str(status)}
                ],
            )
        type_name, message, detail = _INJECTED_ERRORS.get(status, _INJECTED_ERROR)
        return apideck_error(status, type_name, message, detail, headers=headers)

    def _unauthorized_detail(self, error: Any) -> Any:
        """An injected 401 carries the refresh-token detail unless ``"error": "api_key"``."""
        now_ms = epoch_millis(self.clock.now())
        if error == "refresh_recoverable":
            return recoverable_refresh_detail(now_ms)
        if error == "api_key":
            return "Invalid API key"
        return refresh_failure_detail(now_ms)

    def schema_error_response(self, request: Request, spec: Mapping[str, Any]) -> Response:
        """``{"detail": ..., "status": 400|422, "type_name": ..., "message": ...}``."""
        return apideck_error(
            int(spec.get("status", 400)),
            str(spec.get("type_name", "RequestValidationError")),
            str(spec.get("message", "Invalid Params")),
            spec.get("detail", {"missing": [{"field": "required"}]}),
        )

    def custom_fault(self, request: Request, fault: Mapping[str, Any], kind: str) -> Response:
        """``{"warning": {...}}``: process normally, then add the warning to ``meta.warnings``."""
        response = self.process(request)
        if response.status != 200 or not isinstance(response.payload, dict):
            return response
        warning = {
            "type": "downstream_error",
            "status_code": 429,
            "error": "Too Many Requests",
            "operation": "all",
            "message": "A downstream call was rate limited; results may be incomplete",
            **dict(fault["warning"] or {}),
        }
        payload = dict(response.payload)
        meta = dict(payload.get("meta") or {})
        meta["warnings"] = [*(meta.get("warnings") or []), warning]
        payload["meta"] = meta
        return json_response(200, payload, headers=response.headers)

    def html_fault_response(self, request: Request) -> Response:
        return html_response(200, html_page("Apideck", "<h1>Apideck</h1><p>Bad gateway</p>"))

    def not_found_response(self, request: Request) -> Response:
        return apideck_error(
            404, "NotFoundError", "Not Found", f"Unknown route {request.method} {request.path}"
        )

    def bad_request_response(self, request: Request, message: str) -> Response:
        return apideck_error(400, "RequestValidationError", "Invalid Params", message)

    def internal_error_response(self, request: Request) -> Response:
        return apideck_error(500, "InternalServerError", "Internal Server Error", None)


def _limit(value: str | None) -> int:
    if value is None:
        return 20
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= 200:
        raise HttpError(
            apideck_error(
                400,
                "RequestValidationError",
                "Invalid Params",
                {"limit": "must be an integer between 1 and 200"},
            )
        )
    return limit


def _sparse(item: dict[str, Any], fields: str | None) -> dict[str, Any]:
    if not fields:
        return item
    result: dict[str, Any] = {}
    for name in (part.strip() for part in fields.split(",")):
        head, _, rest = name.partition(".")
        if head not in item:
            continue
        if rest and isinstance(item[head], dict):
            result.setdefault(head, {})
            if rest in item[head]:
                result[head][rest] = item[head][rest]
        else:
            result[head] = item[head]
    return result


#: The keys of Apideck's Folder schema (a subset of a file's).
FOLDER_KEYS = (
    "id",
    "name",
    "description",
    "path",
    "size",
    "owner",
    "parent_folders",
    "updated_by",
    "created_by",
    "updated_at",
    "created_at",
)


def _folder_filter(request: Request) -> str:
    """The ``filter[folder_id]`` asked for (``root`` by default); any other filter is refused."""
    folder_id = "root"
    for key, values in request.query.items():
        if not key.startswith("filter["):
            continue
        if key == "filter[folder_id]":
            folder_id = values[0]
        elif key in ("filter[drive_id]", "filter[shared]"):
            raise HttpError(
                apideck_error(
                    400,
                    "UnsupportedFiltersError",
                    "Unsupported filters",
                    f"The filter {key} is not supported by the dropbox connector",
                )
            )
        else:
            raise HttpError(
                apideck_error(
                    400,
                    "RequestValidationError",
                    "Invalid Params",
                    {"unknown": [{key: "not allowed"}]},
                )
            )
    return folder_id


def _sort_order(request: Request) -> tuple[str | None, str]:
    sort_by = request.arg("sort[by]")
    direction = request.arg("sort[direction]") or "asc"
    if sort_by not in (None, "created_at", "updated_at", "name") or direction not in (
        "asc",
        "desc",
    ):
        raise HttpError(
            apideck_error(
                400,
                "UnsupportedSortFieldError",
                "Unsupported sort field",
                f"Sorting by {sort_by!r} {direction!r} is not supported",
            )
        )
    return sort_by, direction


def _cursor_offset(cursor_text: str | None, folder_id: str) -> int:
    """Where a page cursor of this folder's listing starts (0 without a cursor)."""
    if not cursor_text:
        return 0
    cursor = decode_state(cursor_text)
    if (
        cursor is None
        or cursor.get("service") != "dropbox"
        or cursor.get("folder") != folder_id
        or not isinstance(cursor.get("offset"), int)
    ):
        raise HttpError(
            apideck_error(400, "InvalidCursorError", "Invalid cursor", "The cursor is not valid")
        )
    offset: int = cursor["offset"]
    return offset


# Injected status faults answered with a plain Apideck error: (type_name, message, detail).
_INJECTED_ERRORS: dict[int, tuple[str, str, str]] = {
    402: (
        "RequestLimitError",
        "Request Limit Reached",
        "You have reached your limit of API requests",
    ),
    404: ("EntityNotFoundError", "Unknown File", "Not found"),
}
_INJECTED_ERROR = ("RequestValidationError", "Invalid Params", "Injected error")


def _rate_limited(wait: int, headers: list[tuple[str, str]]) -> Response:
    """Dropbox's rate limit as Apideck passes it on: its downstream headers and error body."""
    headers += [
        ("x-downstream-ratelimit-limit", "600"),
        ("x-downstream-ratelimit-remaining", "0"),
        ("x-downstream-ratelimit-reset", str(wait)),
    ]
    return apideck_error(
        429,
        "ConnectorRateLimitError",
        "Connector Rate Limit Error",
        {
            "context": "The downstream connector rate limit was reached",
            "error": rate_limit_body("too_many_requests", wait),
        },
        headers=headers,
    )
