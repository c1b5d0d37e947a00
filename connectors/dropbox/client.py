"""Typed Dropbox API v2 client: the read-only calls a watched-folder poller needs.

Every route is a read, so transient failures are retried with backoff (Retry-After honoured).
A 401 ``expired_access_token``/``invalid_access_token`` asks the token source for a refreshed
token exactly once per call; anything else auth-related is an ``AuthError``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any
from typing import TypeVar

import requests
from pydantic import BaseModel

from connectors.config import DropboxConfig
from connectors.dropbox.errors import DROPBOX_ERRORS
from connectors.dropbox.errors import CursorResetError as CursorResetError
from connectors.dropbox.errors import is_token_rejected
from connectors.dropbox.schemas import Account
from connectors.dropbox.schemas import FileMetadata
from connectors.dropbox.schemas import LatestCursor
from connectors.dropbox.schemas import ListFolderResult
from connectors.errors import FileTooLargeError
from connectors.errors import PermanentError
from connectors.errors import ProtocolError
from connectors.errors import TransientError
from connectors.errors import raise_for_status_closing
from connectors.errors import shorten
from connectors.http import ConnectorSession
from connectors.http import RetryPolicy
from connectors.http import build_session
from connectors.http import call_with_retries
from connectors.http import read_capped
from connectors.http import read_model
from connectors.http import request_id_of
from connectors.http import validate
from connectors.oauth import AuthorizedCall
from connectors.oauth import TokenSource
from connectors.shapes import DownloadedFile as DownloadedFile

PROVIDER = "dropbox"
BLOCK_SIZE = 4 * 1024 * 1024
DEFAULT_MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
DEFAULT_RETRY = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=30.0, budget=120.0)

T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=BaseModel)


class ContentHashMismatchError(PermanentError):
    """The downloaded bytes do not hash to the expected Dropbox ``content_hash``."""

    def __init__(self, message: str, *, path: str, expected: str, actual: str) -> None:
        super().__init__(message, provider=PROVIDER, code="content_hash_mismatch")
        self.path = path
        self.expected = expected
        self.actual = actual


class ContentHasher:
    """Dropbox's content hash, fed incrementally: SHA-256 of the concatenated SHA-256 digests of
    each 4 MiB block. https://www.dropbox.com/developers/reference/content-hash"""

    def __init__(self) -> None:
        self._overall = hashlib.sha256()
        self._block = hashlib.sha256()
        self._block_filled = 0

    def update(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            take = min(BLOCK_SIZE - self._block_filled, len(view))
            self._block.update(view[:take])
            self._block_filled += take
            view = view[take:]
            if self._block_filled == BLOCK_SIZE:
                self._overall.update(self._block.digest())
                self._block = hashlib.sha256()
                self._block_filled = 0

    def hexdigest(self) -> str:
        overall = self._overall.copy()
        if self._block_filled:
            overall.update(self._block.digest())
        return overall.hexdigest()


def content_hash(data: bytes) -> str:
    hasher = ContentHasher()
    hasher.update(data)
    return hasher.hexdigest()


def api_arg_header(arg: object) -> str:
    """JSON for the ``Dropbox-API-Arg`` header: ASCII only, with 0x7F escaped too."""
    return json.dumps(arg, ensure_ascii=True, separators=(",", ":")).replace("\x7f", "\\u007f")


def normalize_path(path: str) -> str:
    """The root is ``""`` in API v2, never ``"/"``."""
    return "" if path in ("", "/") else path


class DropboxClient:
    """https://www.dropbox.com/developers/documentation/http/documentation"""

    def __init__(
        self,
        config: DropboxConfig,
        tokens: TokenSource,
        *,
        session: ConnectorSession | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        root_namespace_id: str | None = None,
    ) -> None:
        self._config = config
        self._tokens = tokens
        self._session = session or build_session(provider=PROVIDER)
        self._retry = retry
        self._sleep = sleep
        self._root_namespace_id = root_namespace_id

    def __repr__(self) -> str:
        return f"DropboxClient(api_url={self._config.api_url!r})"

    # --- endpoints -------------------------------------------------------------------------------

    def list_folder(
        self,
        path: str,
        *,
        recursive: bool = True,
        limit: int | None = None,
        include_deleted: bool = False,
    ) -> ListFolderResult:
        """https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder"""
        arg: dict[str, Any] = {
            "path": normalize_path(path),
            "recursive": recursive,
            "include_deleted": include_deleted,
            "include_non_downloadable_files": False,
        }
        if limit is not None:
            if not 1 <= limit <= 2000:
                raise ValueError("Dropbox accepts a list_folder limit between 1 and 2000")
            arg["limit"] = limit
        return self._rpc("files/list_folder", arg, ListFolderResult, "a ListFolderResult")

    def list_folder_continue(self, cursor: str) -> ListFolderResult:
        """https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder-continue

        Raises ``CursorResetError`` when Dropbox invalidated the cursor (409 ``reset``).
        """
        return self._rpc(
            "files/list_folder/continue", {"cursor": cursor}, ListFolderResult, "a ListFolderResult"
        )

    def get_latest_cursor(
        self, path: str, *, recursive: bool = True, include_deleted: bool = False
    ) -> str:
        """https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder-get_latest_cursor"""
        arg = {
            "path": normalize_path(path),
            "recursive": recursive,
            "include_deleted": include_deleted,
            "include_non_downloadable_files": False,
        }
        result = self._rpc(
            "files/list_folder/get_latest_cursor", arg, LatestCursor, "a cursor object"
        )
        return result.cursor

    def get_current_account(self) -> Account:
        """https://www.dropbox.com/developers/documentation/http/documentation#users-get_current_account"""
        return self._rpc("users/get_current_account", None, Account, "a FullAccount")

    def download(
        self,
        file_id_or_path: str,
        *,
        expected_content_hash: str | None = None,
        max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
    ) -> DownloadedFile:
        """https://www.dropbox.com/developers/documentation/http/documentation#files-download

        ``file_id_or_path`` is ``id:...``, ``rev:...`` or a path. The body is streamed with a
        size cap and its content hash is checked against ``Dropbox-API-Result`` and, when given,
        against ``expected_content_hash`` (what the listing said).
        """
        url = f"{self._config.content_url}/2/files/download"
        arg_header = api_arg_header({"path": file_id_or_path})

        def send(token: str) -> requests.Response:
            headers = {**self._headers(token), "Dropbox-API-Arg": arg_header}
            return self._session.post(url, headers=headers, stream=True)

        def handle(response: requests.Response, secrets: list[str]) -> DownloadedFile:
            return self._read_download(
                response, file_id_or_path, expected_content_hash, max_bytes, secrets
            )

        return self._call(send, handle)

    # --- plumbing --------------------------------------------------------------------------------

    def _headers(self, token: str) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}"}
        if self._root_namespace_id:
            headers["Dropbox-API-Path-Root"] = api_arg_header(
                {".tag": "root", "root": self._root_namespace_id}
            )
        return headers

    def _rpc(self, route: str, arg: object, model: type[ModelT], expected: str) -> ModelT:
        url = f"{self._config.api_url}/2/{route}"
        # No-argument routes take the JSON literal null (an empty body with a JSON content type
        # is rejected).
        body = json.dumps(arg).encode() if arg is not None else b"null"

        def send(token: str) -> requests.Response:
            headers = {**self._headers(token), "Content-Type": "application/json"}
            return self._session.post(url, data=body, headers=headers)

        def handle(response: requests.Response, secrets: list[str]) -> ModelT:
            return read_model(
                response, model, provider=PROVIDER, expected=expected, secrets=secrets
            )

        return self._call(send, handle)

    def _call(
        self,
        send: Callable[[str], requests.Response],
        handle: Callable[[requests.Response, list[str]], T],
    ) -> T:
        authorized = AuthorizedCall(self._tokens)

        def attempt() -> T:
            response = authorized.send(send, is_token_rejected=is_token_rejected)
            raise_for_status_closing(response, DROPBOX_ERRORS, secrets=authorized.tokens_used)
            return handle(response, authorized.tokens_used)

        return call_with_retries(attempt, policy=self._retry, sleep=self._sleep)

    def _read_download(
        self,
        response: requests.Response,
        path: str,
        expected_content_hash: str | None,
        max_bytes: int,
        secrets: list[str],
    ) -> DownloadedFile:
        metadata = _result_metadata(response, secrets)
        if metadata.size > max_bytes:
            response.close()
            raise FileTooLargeError(
                f"{metadata.name} is {metadata.size} bytes, above the {max_bytes}-byte limit",
                provider=PROVIDER,
                filename=metadata.name,
                size=metadata.size,
                limit=max_bytes,
                request_id=request_id_of(response),
            )
        content = read_capped(response, provider=PROVIDER, max_bytes=max_bytes, filename=path)
        if len(content) != metadata.size:
            raise TransientError(
                f"{metadata.name}: received {len(content)} bytes, "
                f"Dropbox announced {metadata.size}",
                provider=PROVIDER,
                status=response.status_code,
                request_id=request_id_of(response),
            )
        actual = content_hash(content)
        _check_hashes(metadata, actual, path, expected_content_hash)
        return DownloadedFile(
            file_id=metadata.id,
            content=content,
            name=metadata.name,
            content_type=response.headers.get("Content-Type"),
            content_hash=actual,
            revision=metadata.rev,
        )


def _result_metadata(response: requests.Response, secrets: list[str]) -> FileMetadata:
    """The file's metadata, which a download sends in the ``Dropbox-API-Result`` header."""
    raw_result = response.headers.get("Dropbox-API-Result")
    if raw_result is None:
        response.close()
        raise ProtocolError(
            "expected the file metadata in the Dropbox-API-Result header, received none",
            provider=PROVIDER,
            status=response.status_code,
            request_id=request_id_of(response),
            expected="Dropbox-API-Result header",
            received="no header",
        )
    try:
        result_data = json.loads(raw_result)
    except ValueError:
        response.close()
        raise ProtocolError(
            f"expected JSON in the Dropbox-API-Result header, received {shorten(raw_result, 80)!r}",
            provider=PROVIDER,
            status=response.status_code,
            request_id=request_id_of(response),
            expected="Dropbox-API-Result JSON",
            received=shorten(raw_result, 80),
            secrets=secrets,
        ) from None
    return validate(
        FileMetadata,
        result_data,
        provider=PROVIDER,
        expected="FileMetadata in Dropbox-API-Result",
        response=response,
        secrets=secrets,
    )


def _check_hashes(
    metadata: FileMetadata, actual: str, path: str, expected_content_hash: str | None
) -> None:
    """The bytes must hash to what Dropbox says now and to what the listing said."""
    if metadata.content_hash and metadata.content_hash != actual:
        raise ContentHashMismatchError(
            f"{metadata.name}: the downloaded bytes hash to {actual}, but Dropbox says "
            f"{metadata.content_hash}; the file was corrupted in transit and is refused",
            path=path,
            expected=metadata.content_hash,
            actual=actual,
        )
    if expected_content_hash and expected_content_hash != actual:
        raise ContentHashMismatchError(
            f"{metadata.name}: the downloaded bytes hash to {actual}, not to the listed "
            f"{expected_content_hash}; the file changed since it was listed and is refused "
            "(the next poll lists the new version)",
            path=path,
            expected=expected_content_hash,
            actual=actual,
        )
