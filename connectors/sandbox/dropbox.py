"""Dropbox API v2 emulator (../shared/reference/dropbox.md): OAuth, list_folder/continue with
change cursors, longpoll, download, and Dropbox's error shapes.

One server plays www.dropbox.com (``/oauth2/authorize``), api.dropboxapi.com (``/oauth2/token``,
RPC routes), content.dropboxapi.com (``/2/files/download``) and notify.dropboxapi.com
(``/2/files/list_folder/longpoll``); point every Dropbox base URL at it.

Choices where the reference is silent (**unverified** there):

- Continue results carry ``deleted`` entries whatever ``include_deleted`` was; several changes to
  one path between two calls are collapsed to the last one (in log order).
- A move or rename gives files a new ``rev`` (same ``id`` and ``content_hash``).
- ``list_folder`` of ``"/"`` is a 400 ("specify the root folder as an empty string").
- Recursive listings of a non-root folder include the folder itself first.
- ``continue`` on a cursor whose folder was deleted is 409 ``path/not_found``.
- A bad or foreign cursor is 400 plain text; a cursor from before a reset/``reset_cursors()`` is
  409 ``reset``.
- Bad client credentials at ``/oauth2/token`` are 400 ``invalid_client``; codes live 10 minutes.
- ``token_access_type=legacy`` is treated like ``online`` (an expiring token, no refresh token).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import Unpack

from connectors.sandbox import dropbox_oauth
from connectors.sandbox.constants import DROPBOX_ACCOUNT_EMAIL
from connectors.sandbox.constants import DROPBOX_ACCOUNT_ID
from connectors.sandbox.constants import DROPBOX_APP_KEY
from connectors.sandbox.constants import DROPBOX_APP_SECRET
from connectors.sandbox.constants import DROPBOX_ROOT_NAMESPACE_ID
from connectors.sandbox.constants import DROPBOX_SCOPES
from connectors.sandbox.dropbox_oauth import ACCESS_TOKEN_SECONDS
from connectors.sandbox.files import FileStore
from connectors.sandbox.files import Node
from connectors.sandbox.files import normalize_path
from connectors.sandbox.oauth import AccessToken
from connectors.sandbox.oauth import TokenPolicy
from connectors.sandbox.oauth import TokenStatus
from connectors.sandbox.oauth import TokenStore
from connectors.sandbox.server import Address
from connectors.sandbox.server import Emulator
from connectors.sandbox.server import Route
from connectors.sandbox.server import StatusFault
from connectors.sandbox.server import control_json
from connectors.sandbox.server import route
from connectors.sandbox.wire import BadRequestError
from connectors.sandbox.wire import HttpError
from connectors.sandbox.wire import Request
from connectors.sandbox.wire import Response
from connectors.sandbox.wire import html_page
from connectors.sandbox.wire import html_response
from connectors.sandbox.wire import json_response
from connectors.sandbox.wire import media_type
from connectors.sandbox.wire import text_response

# Short-lived "sl." access tokens; refresh tokens that neither expire nor rotate.
TOKEN_POLICY = TokenPolicy(access_ttl=ACCESS_TOKEN_SECONDS, access_prefix="sl.")
MAX_LIST_LIMIT = 2000
DEFAULT_LIST_LIMIT = 2000
_PATH_PATTERN = re.compile(r"^((/(.|[\r\n])*)?|id:.*|(ns:[0-9]+(/.*)?))$", re.DOTALL)
_RPC_CONTENT_TYPES = ("application/json", "text/plain; charset=dropbox-cors-hack")
_DOWNLOAD_CONTENT_TYPES = ("", "application/octet-stream", "text/plain; charset=dropbox-cors-hack")
_LIST_FOLDER_FIELDS = {
    "path": str,
    "recursive": bool,
    "include_deleted": bool,
    "limit": int,
    "include_media_info": bool,
    "include_mounted_folders": bool,
    "include_has_explicit_shared_members": bool,
    "include_non_downloadable_files": bool,
    "include_property_groups": dict,
    "include_restorable_info": bool,
    "shared_link": dict,
}

ACCOUNT: dict[str, Any] = {
    "account_id": DROPBOX_ACCOUNT_ID,
    "name": {
        "given_name": "Camille",
        "surname": "Martin",
        "familiar_name": "Camille",
        "display_name": "Camille Martin",
        "abbreviated_name": "CM",
    },
    "email": DROPBOX_ACCOUNT_EMAIL,
    "email_verified": True,
    "disabled": False,
    "country": "FR",
    "locale": "fr",
    "referral_link": "https://www.dropbox.com/referrals/AAAwellSandbox",
    "is_paired": False,
    "account_type": {".tag": "basic"},
    "root_info": {
        ".tag": "user",
        "root_namespace_id": DROPBOX_ROOT_NAMESPACE_ID,
        "home_namespace_id": DROPBOX_ROOT_NAMESPACE_ID,
    },
}


def dropbox_error(
    status: int,
    tags: list[str],
    error: Mapping[str, Any],
    *,
    headers: Iterable[tuple[str, str]] = (),
) -> Response:
    """Dropbox's route error (``error_summary`` and the tagged union), with the answer's own
    headers (a fault's ``Retry-After``) passed like every other builder's ``headers=``."""
    summary = "/".join(tags) + ("/.." if len(tags) > 1 else "/...")
    return json_response(status, {"error_summary": summary, "error": dict(error)}, headers=headers)


def rate_limit_body(reason: str, retry_after: int) -> dict[str, Any]:
    """Dropbox's 429 body (``RateLimitError``); Apideck passes it on as its downstream error."""
    return {
        "error_summary": f"{reason}/..",
        "error": {"reason": {".tag": reason}, "retry_after": retry_after},
    }


def path_not_found() -> HttpError:
    return HttpError(
        dropbox_error(409, ["path", "not_found"], {".tag": "path", "path": {".tag": "not_found"}})
    )


def path_error(reason: str) -> HttpError:
    return HttpError(
        dropbox_error(409, ["path", reason], {".tag": "path", "path": {".tag": reason}})
    )


def _header_json(value: Mapping[str, Any]) -> str:
    """HTTP-header-safe JSON: non-ASCII and 0x7F escaped as \\uXXXX."""
    return json.dumps(value, ensure_ascii=True).replace("\x7f", "\\u007f")


class DropboxEmulator(Emulator):
    name = "dropbox"

    def __init__(
        self,
        *,
        app_key: str = DROPBOX_APP_KEY,
        app_secret: str = DROPBOX_APP_SECRET,
        **address: Unpack[Address],
    ) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        # Real seconds a longpoll may block at most (tests lower it), and an optional backoff.
        self.initial_longpoll_wait_cap: float | None = None
        self.longpoll_wait_cap: float | None = None
        self.longpoll_backoff: int | None = None
        self.consent = "allow"
        self.allowed_redirect_uris: set[str] | None = None
        super().__init__(**address)
        self.files = FileStore(self.clock)

    def reset_state(self) -> None:
        if hasattr(self, "files"):
            self.files.reset()
        self.tokens = TokenStore(self.clock, TOKEN_POLICY)
        self.consent = "allow"
        self.longpoll_backoff = None
        self.longpoll_wait_cap = self.initial_longpoll_wait_cap

    # --- Python helpers --------------------------------------------------------------------------

    def put_file(self, path: str, content: bytes, **kwargs: Any) -> dict[str, Any]:
        """Create or overwrite a file in the emulated account; returns its metadata."""
        return self.files.put_file(path, content, **kwargs)

    def create_folder(self, path: str) -> dict[str, Any]:
        return self.files.create_folder(path)

    def delete(self, path: str) -> dict[str, Any]:
        return self.files.delete(path)

    def move(self, from_path: str, to_path: str) -> dict[str, Any]:
        return self.files.move(from_path, to_path)

    def rename(self, path: str, new_name: str) -> dict[str, Any]:
        parent = normalize_path(path).rsplit("/", 1)[0]
        return self.files.move(path, f"{parent}/{new_name}")

    def reset_cursors(self) -> None:
        """Invalidate every cursor (next continue or longpoll: 409 ``reset``)."""
        self.files.reset_cursors()

    def issue_token(
        self, *, scopes: tuple[str, ...] = DROPBOX_SCOPES[:3], offline: bool = True
    ) -> dict[str, Any]:
        """Tokens as if the OAuth flow had run: ``{"access_token", "refresh_token", ...}``."""
        with self.lock:
            grant = self.tokens.create_grant(client_id=self.app_key, scopes=scopes)
            access = self.tokens.issue_access(grant)
            refresh = self.tokens.issue_refresh(grant) if offline else None
            return dropbox_oauth.token_payload(self, access, refresh.token if refresh else None)

    def revoke_all_tokens(self) -> None:
        """The user unlinked the app on dropbox.com: every token stops working."""
        with self.lock:
            self.tokens.revoke_all()

    def state_snapshot(self) -> dict[str, Any]:
        return {"files": self.files.snapshot(), "oauth": self.tokens.snapshot()}

    # --- routes ----------------------------------------------------------------------------------

    def build_routes(self) -> list[Route]:
        return [
            route("GET", "/oauth2/authorize", self._bind(dropbox_oauth.authorize)),
            route("POST", "/oauth2/token", self._bind(dropbox_oauth.token)),
            route("POST", "/2/auth/token/revoke", self._revoke),
            route("POST", "/2/users/get_current_account", self._current_account),
            route("POST", "/2/files/list_folder", self._list_folder),
            route("POST", "/2/files/list_folder/continue", self._list_folder_continue),
            route("POST", "/2/files/list_folder/get_latest_cursor", self._latest_cursor),
            route("POST", "/2/files/list_folder/longpoll", self._longpoll, exclusive=False),
            route("POST", "/2/files/get_metadata", self._get_metadata),
            route(("GET", "POST"), "/2/files/download", self._download),
        ]

    def build_control_routes(self) -> list[Route]:
        return [
            route("POST", "/_sandbox/files", self._control_put_file),
            route("POST", "/_sandbox/files/delete", self._control_delete),
            route("POST", "/_sandbox/files/move", self._control_move),
            route("POST", "/_sandbox/cursors/reset", self._control_reset_cursors),
            route("POST", "/_sandbox/tokens/revoke_all", self._control_revoke_all),
            route("POST", "/_sandbox/settings", self._control_settings),
        ]

    def response_headers(self, request: Request) -> list[tuple[str, str]]:
        return [("x-dropbox-request-id", request.request_id)]

    def _revoke(self, request: Request, params: dict[str, str]) -> Response:
        token = self._authenticate(request, "auth/token/revoke", scope=None)
        self._no_args(request, "auth/token/revoke")
        self.tokens.revoke_grant(token.grant_id)
        return json_response(200, None)

    # --- RPC plumbing ----------------------------------------------------------------------------

    def _authenticate(self, request: Request, function: str, *, scope: str | None) -> AccessToken:
        header = request.header("Authorization")
        if header is None:
            raise HttpError(
                _bad_request(
                    function,
                    'Must provide HTTP header "Authorization" or URL parameter "authorization".',
                )
            )
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HttpError(
                _bad_request(
                    function,
                    'Invalid authorization value in HTTP header "Authorization". '
                    'Expecting "Bearer <oauth2-access-token>".',
                )
            )
        check = self.tokens.check_access(token.strip())
        if check.status is TokenStatus.INVALID or check.token is None:
            raise HttpError(
                dropbox_error(401, ["invalid_access_token"], {".tag": "invalid_access_token"})
            )
        if check.status is TokenStatus.EXPIRED:
            raise HttpError(
                dropbox_error(401, ["expired_access_token"], {".tag": "expired_access_token"})
            )
        if scope is not None and scope not in check.token.scopes:
            raise HttpError(
                dropbox_error(
                    401,
                    ["missing_scope"],
                    {".tag": "missing_scope", "required_scope": scope},
                )
            )
        self._check_path_root(request)
        return check.token

    def _check_path_root(self, request: Request) -> None:
        header = request.header("Dropbox-API-Path-Root")
        if header is None:
            return
        try:
            root = json.loads(header)
        except json.JSONDecodeError:
            raise HttpError(
                text_response(400, 'Error in HTTP header "Dropbox-API-Path-Root": bad JSON')
            ) from None
        valid = isinstance(root, dict) and (
            root.get(".tag") == "home"
            or (root.get(".tag") == "root" and root.get("root") == DROPBOX_ROOT_NAMESPACE_ID)
            or (
                root.get(".tag") == "namespace_id"
                and root.get("namespace_id") == DROPBOX_ROOT_NAMESPACE_ID
            )
        )
        if not valid:
            raise HttpError(
                dropbox_error(
                    422,
                    ["invalid_root"],
                    {".tag": "invalid_root", "invalid_root": ACCOUNT["root_info"]},
                )
            )

    def _args(self, request: Request, function: str) -> dict[str, Any]:
        content_type = request.header("Content-Type") or ""
        if media_type(content_type) != "application/json" and content_type not in (
            _RPC_CONTENT_TYPES
        ):
            raise _bad_content_type(
                function,
                content_type,
                ("application/json", "application/json; charset=utf-8", _RPC_CONTENT_TYPES[1]),
            )
        try:
            args = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise HttpError(
                _bad_request(function, "request body: could not decode input as JSON")
            ) from None
        if not isinstance(args, dict):
            raise HttpError(_bad_request(function, "request body: expected an object"))
        return args

    def _no_args(self, request: Request, function: str) -> None:
        """Routes without arguments take no body, or ``null`` with a JSON content type."""
        if not request.body:
            if media_type(request.header("Content-Type")) == "application/json":
                raise HttpError(
                    _bad_request(function, "request body: could not decode input as JSON")
                )
            return
        if self._args_or_null(request, function) is not None:
            raise HttpError(_bad_request(function, "request body: expected null, got value"))

    def _args_or_null(self, request: Request, function: str) -> Any:
        if media_type(request.header("Content-Type")) != "application/json":
            raise HttpError(_bad_request(function, 'Bad HTTP "Content-Type" header'))
        try:
            return json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise HttpError(
                _bad_request(function, "request body: could not decode input as JSON")
            ) from None

    def _list_args(self, request: Request, function: str) -> dict[str, Any]:
        args = self._args(request, function)
        for key, value in args.items():
            expected = _LIST_FOLDER_FIELDS.get(key)
            if expected is None:
                raise HttpError(_bad_request(function, f'request body: unknown field "{key}"'))
            if type(value) is not expected:
                raise HttpError(
                    _bad_request(function, f"request body: {key}: expected {expected.__name__}")
                )
        if "path" not in args:
            raise HttpError(_bad_request(function, 'request body: missing required field "path"'))
        path = args["path"]
        if path == "/":
            raise HttpError(
                _bad_request(
                    function,
                    "request body: path: Specify the root folder as an empty string rather "
                    'than as "/".',
                )
            )
        if not _PATH_PATTERN.match(path):
            raise HttpError(
                _bad_request(function, f"request body: path: '{path}' did not match pattern")
            )
        limit = args.get("limit", DEFAULT_LIST_LIMIT)
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise HttpError(
                _bad_request(function, f"request body: limit: {limit} is not within [1, 2000]")
            )
        return args

    def _folder_root(self, path: str) -> str:
        """The path_lower of the folder to list (``""`` for the root), or a 409."""
        if path == "":
            return ""
        if path.startswith("ns:"):
            raise path_not_found()
        node = self.files.lookup(path)
        if node is None:
            raise path_not_found()
        if node.kind != "folder":
            raise path_error("not_folder")
        return node.path_lower

    # --- files -----------------------------------------------------------------------------------

    def _current_account(self, request: Request, params: dict[str, str]) -> Response:
        self._authenticate(request, "users/get_current_account", scope="account_info.read")
        self._no_args(request, "users/get_current_account")
        return json_response(200, ACCOUNT)

    def _list_folder(self, request: Request, params: dict[str, str]) -> Response:
        args, root = self._list_request(request, "files/list_folder")
        with self.files.lock:
            return json_response(200, self._listing_page(self._cursor(args, root, offset=0)))

    def _list_request(self, request: Request, function: str) -> tuple[dict[str, Any], str]:
        """The arguments of a call that lists a folder, and that folder's key."""
        self._authenticate(request, function, scope="files.metadata.read")
        args = self._list_args(request, function)
        return args, self._folder_root(args["path"])

    def _cursor(self, args: dict[str, Any], root: str, *, offset: int | None) -> dict[str, Any]:
        """A listing cursor at the store's current position (``offset`` None: changes only);
        the caller holds the store's lock."""
        return {
            "i": self.files.instance,
            "e": self.files.epoch,
            "r": root,
            "rec": args.get("recursive", False),
            "del": args.get("include_deleted", False),
            "s": self.files.seq,
            "o": offset,
            "l": args.get("limit", DEFAULT_LIST_LIMIT),
        }

    def _listing_page(self, cursor: dict[str, Any]) -> dict[str, Any]:
        entries = self.files.listing(
            cursor["r"], recursive=cursor["rec"], include_deleted=cursor["del"], seq=cursor["s"]
        )
        start, limit = cursor["o"], cursor["l"]
        page = entries[start : start + limit]
        has_more = start + limit < len(entries)
        next_cursor = {**cursor, "o": start + limit if has_more else None}
        return {"entries": page, "cursor": _encode_cursor(next_cursor), "has_more": has_more}

    def _list_folder_continue(self, request: Request, params: dict[str, str]) -> Response:
        function = "files/list_folder/continue"
        self._authenticate(request, function, scope="files.metadata.read")
        args = self._args(request, function)
        unknown = set(args) - {"cursor"}
        if unknown:
            raise HttpError(
                _bad_request(function, f'request body: unknown field "{sorted(unknown)[0]}"')
            )
        cursor = self._live_cursor(args.get("cursor"), function)
        with self.files.lock:
            if cursor["o"] is not None:
                return json_response(200, self._listing_page(cursor))
            changes = self.files.changes_since(cursor["s"], cursor["r"], recursive=cursor["rec"])
            page = changes[: cursor["l"]]
            has_more = len(changes) > len(page)
            position = page[-1].seq if has_more else self.files.seq
            return json_response(
                200,
                {
                    "entries": [change.entry for change in page],
                    "cursor": _encode_cursor({**cursor, "s": position}),
                    "has_more": has_more,
                },
            )

    def _current_cursor(self, value: Any, function: str) -> dict[str, Any]:
        """A cursor of this store's current life (a reset store answers 409 ``reset``)."""
        cursor = _decode_cursor(value)
        if cursor is None:
            raise HttpError(_bad_request(function, 'Invalid "cursor" parameter'))
        if cursor["i"] != self.files.instance or cursor["e"] != self.files.epoch:
            raise HttpError(dropbox_error(409, ["reset"], {".tag": "reset"}))
        return cursor

    def _live_cursor(self, value: Any, function: str) -> dict[str, Any]:
        cursor = self._current_cursor(value, function)
        if cursor["r"] and self.files.lookup(cursor["r"]) is None:
            raise path_not_found()
        return cursor

    def _latest_cursor(self, request: Request, params: dict[str, str]) -> Response:
        args, root = self._list_request(request, "files/list_folder/get_latest_cursor")
        with self.files.lock:
            cursor = self._cursor(args, root, offset=None)
        return json_response(200, {"cursor": _encode_cursor(cursor)})

    def _longpoll(self, request: Request, params: dict[str, str]) -> Response:
        function = "files/list_folder/longpoll"
        args = self._args(request, function)
        timeout = args.get("timeout", 30)
        if type(timeout) is not int or not 30 <= timeout <= 480:
            raise HttpError(
                _bad_request(function, "request body: timeout: must be between 30 and 480")
            )
        with self.files.lock:
            cursor = self._current_cursor(args.get("cursor"), function)
        wait = float(timeout)
        if self.longpoll_wait_cap is not None:
            wait = min(wait, self.longpoll_wait_cap)
        changes = cursor["o"] is not None or self.files.wait_for_change(
            instance=cursor["i"],
            epoch=cursor["e"],
            seq=cursor["s"],
            root=cursor["r"],
            recursive=cursor["rec"],
            timeout=wait,
        )
        payload: dict[str, Any] = {"changes": changes}
        if self.longpoll_backoff is not None:
            payload["backoff"] = self.longpoll_backoff
        return json_response(200, payload)

    def _get_metadata(self, request: Request, params: dict[str, str]) -> Response:
        function = "files/get_metadata"
        self._authenticate(request, function, scope="files.metadata.read")
        args = self._args(request, function)
        path = args.get("path")
        if not isinstance(path, str) or path == "":
            raise HttpError(_bad_request(function, "request body: path: invalid"))
        node = self._resolve(path)
        return json_response(200, node.metadata())

    def _resolve(self, path: str) -> Node:
        if path.startswith("rev:"):
            node = self.files.revision(path[4:])
        elif path.startswith(("id:", "/")):
            node = self.files.lookup(path)
        else:
            node = None
        if node is None:
            raise path_not_found()
        return node

    def _download(self, request: Request, params: dict[str, str]) -> Response:
        function = "files/download"
        self._authenticate(request, function, scope="files.content.read")
        args = _download_args(request, function)
        node = self._resolve(f"rev:{args['rev']}" if args.get("rev") else args["path"])
        if node.kind != "file":
            raise path_error("not_file")
        metadata = node.metadata()
        metadata.pop(".tag")
        etag = f'W/"{node.rev}"'
        headers = [("Dropbox-API-Result", _header_json(metadata)), ("ETag", etag)]
        if request.header("If-None-Match") == etag:
            return Response(status=304, headers=headers)
        body, status = node.content, 200
        range_header = request.header("Range")
        if range_header:
            sliced = _byte_range(range_header, len(body))
            if sliced is None:
                return text_response(416, "Requested range not satisfiable", headers=headers)
            start, end = sliced
            body, status = body[start : end + 1], 206
            headers.append(("Content-Range", f"bytes {start}-{end}/{node.size}"))
        return Response(
            status=status,
            body=body,
            content_type="application/octet-stream",
            headers=headers,
        )

    # --- control ---------------------------------------------------------------------------------

    def _control_put_file(self, request: Request, params: dict[str, str]) -> Response:
        payload = control_json(request)
        if "content_base64" in payload:
            content = base64.b64decode(payload["content_base64"])
        else:
            content = str(payload.get("text", "")).encode("utf-8")
        return json_response(200, self.put_file(str(payload["path"]), content))

    def _control_delete(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, self.delete(str(control_json(request)["path"])))

    def _control_move(self, request: Request, params: dict[str, str]) -> Response:
        payload = control_json(request)
        return json_response(200, self.move(str(payload["from"]), str(payload["to"])))

    def _control_reset_cursors(self, request: Request, params: dict[str, str]) -> Response:
        self.reset_cursors()
        return json_response(200, {"epoch": self.files.epoch})

    def _control_revoke_all(self, request: Request, params: dict[str, str]) -> Response:
        self.revoke_all_tokens()
        return json_response(200, {"revoked": True})

    def _control_settings(self, request: Request, params: dict[str, str]) -> Response:
        payload = control_json(request)
        if "consent" in payload:
            if payload["consent"] not in ("allow", "deny"):
                raise BadRequestError('consent must be "allow" or "deny"')
            self.consent = payload["consent"]
        if "longpoll_backoff" in payload:
            self.longpoll_backoff = payload["longpoll_backoff"]
        if "longpoll_wait_cap" in payload:
            self.longpoll_wait_cap = payload["longpoll_wait_cap"]
        return json_response(
            200,
            {
                "consent": self.consent,
                "longpoll_backoff": self.longpoll_backoff,
                "longpoll_wait_cap": self.longpoll_wait_cap,
            },
        )

    # --- provider-shaped faults and errors -------------------------------------------------------

    def status_fault_response(self, fault: StatusFault) -> Response:
        status, headers = fault.status, fault.headers
        if status == 429:
            if fault.spec.get("plain_text"):
                return text_response(429, "Too Many Requests", headers=headers)
            body = rate_limit_body(fault.error("too_many_requests"), fault.retry_after(1))
            return json_response(429, body, headers=headers)
        if status == 401:
            tag = fault.error("invalid_access_token")
            return dropbox_error(401, [tag], {".tag": tag})
        if status in (403, 409, 422):
            tag = fault.error({403: "no_permission", 409: "other", 422: "no_permission"}[status])
            return dropbox_error(status, [tag], {".tag": tag}, headers=headers)
        if 400 <= status < 500:
            function = fault.request.path.removeprefix("/2/")
            return _bad_request(function, fault.error("bad request"), headers=headers)
        return text_response(
            status,
            {503: "Service Unavailable"}.get(status, "Internal Server Error"),
            headers=headers,
        )

    def schema_error_response(self, request: Request, spec: Mapping[str, Any]) -> Response:
        """``{"message": ...}`` → 400 plain text (Dropbox's input validation), or
        ``{"error": {".tag": ...}}`` → 409 route error with its ``error_summary``."""
        if "error" in spec and isinstance(spec["error"], Mapping):
            error = dict(spec["error"])
            tags: list[str] = []
            cursor: Any = error
            while isinstance(cursor, Mapping) and ".tag" in cursor:
                tags.append(str(cursor[".tag"]))
                cursor = cursor.get(str(cursor[".tag"]))
            return dropbox_error(int(spec.get("status", 409)), tags or ["other"], error)
        function = request.path.removeprefix("/2/")
        return _bad_request(function, str(spec.get("message", "request body: invalid input")))

    def html_fault_response(self, request: Request) -> Response:
        return html_response(
            200, html_page("Dropbox", "<h1>Dropbox</h1><p>Something went wrong.</p>")
        )

    def wrong_shape(self, response: Response) -> Response:
        result = response.header("Dropbox-API-Result")
        if result is not None:
            return response.with_header("Dropbox-API-Result", '{"result":' + result + "}")
        return super().wrong_shape(response)

    def not_found_response(self, request: Request) -> Response:
        return text_response(404, f"Unknown API function: {request.path}")

    def bad_request_response(self, request: Request, message: str) -> Response:
        return _bad_request(request.path.removeprefix("/2/"), message)

    def internal_error_response(self, request: Request) -> Response:
        return text_response(500, "Internal Server Error")


def _bad_request(
    function: str, message: str, *, headers: Iterable[tuple[str, str]] = ()
) -> Response:
    return text_response(
        400, f'Error in call to API function "{function}": {message}', headers=headers
    )


def _encode_cursor(cursor: Mapping[str, Any]) -> str:
    raw = json.dumps(cursor, separators=(",", ":")).encode("utf-8")
    return "AAH" + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, str) or not value.startswith("AAH"):
        return None
    text = value[3:]
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        cursor = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    required = {"i", "e", "r", "rec", "del", "s", "o", "l"}
    if not isinstance(cursor, dict) or set(cursor) != required:
        return None
    return cursor


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        return None
    if not match.group(1):
        length = int(match.group(2))
        start, end = max(0, size - length), size - 1
    else:
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else size - 1
    end = min(end, size - 1)
    if start > end or start >= size:
        return None
    return start, end


def _bad_content_type(function: str, content_type: str, expected: Sequence[str]) -> HttpError:
    accepted = ", ".join(f'"{name}"' for name in expected)
    return HttpError(
        text_response(
            400,
            f'Error in call to API function "{function}": Bad HTTP "Content-Type" '
            f'header: "{content_type}".  Expecting one of {accepted}.',
        )
    )


def _download_args(request: Request, function: str) -> dict[str, Any]:
    """A content download's arguments: the ``arg`` URL parameter of a GET, the
    ``Dropbox-API-Arg`` header (ASCII JSON) of a POST without body."""
    if request.method == "GET":
        raw_arg = request.arg("arg")
    else:
        raw_arg = request.header("Dropbox-API-Arg")
        content_type = request.header("Content-Type") or ""
        if content_type not in _DOWNLOAD_CONTENT_TYPES:
            raise _bad_content_type(function, content_type, _DOWNLOAD_CONTENT_TYPES[1:])
        if request.body:
            raise HttpError(_bad_request(function, "this route takes no request body"))
    if raw_arg is None:
        raise HttpError(
            _bad_request(
                function, 'Must provide HTTP header "Dropbox-API-Arg" or URL parameter "arg".'
            )
        )
    if request.method == "POST" and any(ord(char) > 0x7E for char in raw_arg):
        raise HttpError(
            _bad_request(
                function,
                'HTTP header "Dropbox-API-Arg": could not decode input as JSON '
                "(non-ASCII characters must be escaped as \\uXXXX)",
            )
        )
    try:
        args = json.loads(raw_arg)
    except json.JSONDecodeError:
        raise HttpError(
            _bad_request(function, 'HTTP header "Dropbox-API-Arg": could not decode input as JSON')
        ) from None
    if not isinstance(args, dict) or not isinstance(args.get("path"), str):
        raise HttpError(_bad_request(function, 'missing required field "path"'))
    unknown = set(args) - {"path", "rev"}
    if unknown:
        raise HttpError(_bad_request(function, f'unknown field "{sorted(unknown)[0]}"'))
    return args
