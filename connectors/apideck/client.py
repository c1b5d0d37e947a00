"""Typed Apideck Unify client: Vault (connect flow, connection health) and file-storage
(list a folder with cursor pagination, download).

Apideck holds the downstream Dropbox tokens; we authenticate with our own API key and app id,
and name the customer with ``x-apideck-consumer-id``. Every call is a read or harmless to
repeat, so transient failures are retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import TypeVar
from urllib.parse import quote

import requests
from pydantic import BaseModel

from connectors.apideck.errors import APIDECK_ERRORS
from connectors.apideck.errors import InvalidCursorError as InvalidCursorError
from connectors.apideck.errors import QuotaExceededError as QuotaExceededError
from connectors.apideck.schemas import ApideckWarning
from connectors.apideck.schemas import FileListResponse
from connectors.apideck.schemas import FolderResponse
from connectors.apideck.schemas import UnifiedFile
from connectors.apideck.schemas import VaultConnection
from connectors.apideck.schemas import VaultConnectionResponse
from connectors.apideck.schemas import VaultSession
from connectors.apideck.schemas import VaultSessionResponse
from connectors.config import ApideckConfig
from connectors.errors import AuthError
from connectors.errors import NotFoundError
from connectors.errors import ProtocolError
from connectors.errors import raise_for_status_closing
from connectors.http import ConnectorSession
from connectors.http import RetryPolicy
from connectors.http import build_session
from connectors.http import call_with_retries
from connectors.http import read_capped
from connectors.http import read_model
from connectors.shapes import DownloadedFile as DownloadedFile

PROVIDER = "apideck"
DEFAULT_MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
DEFAULT_RETRY = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=30.0, budget=120.0)
MAX_PAGE_SIZE = 200
logger = logging.getLogger("connectors.apideck")

ModelT = TypeVar("ModelT", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True)
class FilePage:
    files: tuple[UnifiedFile, ...]
    next_cursor: str | None
    warnings: tuple[ApideckWarning, ...] = ()


class ApideckClient:
    """https://developers.apideck.com/apis/file-storage/reference and
    https://developers.apideck.com/apis/vault/reference"""

    def __init__(
        self,
        config: ApideckConfig,
        *,
        session: ConnectorSession | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        config.require_credentials()
        self._config = config
        self._session = session or build_session(provider=PROVIDER)
        self._retry = retry
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"ApideckClient(api_url={self._config.api_url!r}, app_id={self._config.app_id!r})"

    # --- Vault -----------------------------------------------------------------------------------

    def create_vault_session(
        self,
        consumer_id: str,
        redirect_uri: str,
        *,
        consumer_metadata: Mapping[str, str] | None = None,
        unified_apis: Sequence[str] = ("file-storage",),
        session_length: str = "30m",
    ) -> VaultSession:
        """https://developers.apideck.com/apis/vault/reference#tag/Sessions/operation/sessionsCreate

        Returns the hosted Vault link to send the user's browser to (it carries a session token:
        never log it)."""
        body: dict[str, Any] = {
            "redirect_uri": redirect_uri,
            "settings": {
                "unified_apis": list(unified_apis),
                "session_length": session_length,
                "isolation_mode": True,
            },
        }
        if consumer_metadata:
            body["consumer_metadata"] = dict(consumer_metadata)
        response_model = self._json(
            "POST",
            "/vault/sessions",
            consumer_id=consumer_id,
            model=VaultSessionResponse,
            expected="a Vault session",
            json_body=body,
        )
        return response_model.data

    def get_connection(
        self, consumer_id: str, service_id: str = "dropbox", unified_api: str = "file-storage"
    ) -> VaultConnection:
        """https://developers.apideck.com/apis/vault/reference#tag/Connections/operation/connectionsOne"""
        return self._json(
            "GET",
            f"/vault/connections/{quote(unified_api, safe='')}/{quote(service_id, safe='')}",
            consumer_id=consumer_id,
            model=VaultConnectionResponse,
            expected="a Vault connection",
        ).data

    def validate_connection(
        self, consumer_id: str, service_id: str = "dropbox", unified_api: str = "file-storage"
    ) -> VaultConnection:
        """https://developers.apideck.com/apis/vault/reference#tag/Connections/operation/validateConnectionState

        Forces Vault to refresh the downstream token now: a health probe."""
        return self._json(
            "POST",
            f"/vault/connections/{quote(unified_api, safe='')}/{quote(service_id, safe='')}"
            "/validate",
            consumer_id=consumer_id,
            model=VaultConnectionResponse,
            expected="a Vault connection state",
            json_body={},
        ).data

    def delete_connection(
        self, consumer_id: str, service_id: str = "dropbox", unified_api: str = "file-storage"
    ) -> None:
        """https://developers.apideck.com/apis/vault/reference#tag/Connections/operation/connectionsDelete

        Removes the consumer's connection and the downstream grant Vault holds for it. A
        connection that is already gone counts as deleted."""
        try:
            self._call(
                "DELETE",
                f"/vault/connections/{quote(unified_api, safe='')}/{quote(service_id, safe='')}",
                consumer_id=consumer_id,
                service_id=None,
                handle=lambda response: response.close(),
            )
        except (NotFoundError, AuthError) as error:
            # A 404 (``ConnectionNotFoundError`` or another not-found) on delete: already gone.
            if error.status == 404:
                return
            raise

    # --- File storage ----------------------------------------------------------------------------

    def get_folder(
        self, consumer_id: str, folder_id: str, service_id: str = "dropbox"
    ) -> UnifiedFile:
        """https://developers.apideck.com/apis/file-storage/reference#tag/Folders/operation/foldersOne

        The folder's name and path, for people (the watched folder is stored by its id)."""
        return self._json(
            "GET",
            f"/file-storage/folders/{quote(folder_id, safe='')}",
            consumer_id=consumer_id,
            service_id=service_id,
            model=FolderResponse,
            expected="a folder",
        ).data

    def list_files(
        self,
        consumer_id: str,
        folder_id: str,
        cursor: str | None = None,
        limit: int = MAX_PAGE_SIZE,
        service_id: str = "dropbox",
    ) -> FilePage:
        """https://developers.apideck.com/apis/file-storage/reference#tag/Files/operation/filesAll

        One page of the folder's direct children (files and folders). Raises
        ``InvalidCursorError`` when the cursor is stale: restart without a cursor."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"Apideck accepts a limit between 1 and {MAX_PAGE_SIZE}")
        params = {"filter[folder_id]": folder_id, "limit": str(limit)}
        if cursor:
            params["cursor"] = cursor
        listing = self._json(
            "GET",
            "/file-storage/files",
            consumer_id=consumer_id,
            service_id=service_id,
            model=FileListResponse,
            expected="a file list",
            params=params,
        )
        for warning in listing.meta.warnings:
            logger.warning(
                "apideck: degraded listing of folder %s: %s (%s)",
                folder_id,
                warning.message,
                warning.status_code,
            )
        return FilePage(
            files=tuple(listing.data),
            next_cursor=listing.meta.cursors.next or None,
            warnings=tuple(listing.meta.warnings),
        )

    def iter_files(
        self,
        consumer_id: str,
        folder_id: str,
        *,
        limit: int = MAX_PAGE_SIZE,
        service_id: str = "dropbox",
    ) -> Iterator[UnifiedFile]:
        """Every child of the folder across pages. An ``InvalidCursorError`` mid-way propagates:
        the caller restarts the whole listing (and only trusts a listing that completed)."""
        cursor: str | None = None
        seen_cursors: set[str] = set()
        while True:
            page = self.list_files(consumer_id, folder_id, cursor, limit, service_id)
            yield from page.files
            if page.next_cursor is None:
                return
            if page.next_cursor in seen_cursors:
                raise ProtocolError(
                    "expected a new page cursor, received one already followed (pagination loop)",
                    provider=PROVIDER,
                    expected="a fresh cursor",
                    received="a repeated cursor",
                )
            seen_cursors.add(page.next_cursor)
            cursor = page.next_cursor

    def download(
        self,
        consumer_id: str,
        file_id: str,
        *,
        max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        service_id: str = "dropbox",
    ) -> DownloadedFile:
        """https://developers.apideck.com/apis/file-storage/reference#tag/Files/operation/filesDownload

        Streams the body with a size cap. Apideck exposes no checksum; hash the content
        yourself to de-duplicate."""
        path = f"/file-storage/files/{quote(file_id, safe='')}/download"

        def handle(response: requests.Response) -> DownloadedFile:
            content = read_capped(
                response, provider=PROVIDER, max_bytes=max_bytes, filename=file_id
            )
            return DownloadedFile(
                file_id=file_id,
                content=content,
                content_type=response.headers.get("Content-Type"),
            )

        return self._call(
            "GET",
            path,
            consumer_id=consumer_id,
            service_id=service_id,
            handle=handle,
            stream=True,
            # Unverified whether Apideck redirects downloads to storage; requests drops our
            # Authorization header on a host change, so following is safe.
            allow_redirects=True,
        )

    # --- plumbing --------------------------------------------------------------------------------

    def _headers(self, consumer_id: str, service_id: str | None) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self._config.api_key}",
            "x-apideck-app-id": self._config.app_id,
            "x-apideck-consumer-id": consumer_id,
        }
        if service_id:
            headers["x-apideck-service-id"] = service_id
        return headers

    def _json(
        self,
        method: str,
        path: str,
        *,
        consumer_id: str,
        model: type[ModelT],
        expected: str,
        service_id: str | None = None,
        params: Mapping[str, str] | None = None,
        json_body: object = None,
    ) -> ModelT:
        def handle(response: requests.Response) -> ModelT:
            secrets = [self._config.api_key]
            return read_model(
                response, model, provider=PROVIDER, expected=expected, secrets=secrets
            )

        return self._call(
            method,
            path,
            consumer_id=consumer_id,
            service_id=service_id,
            handle=handle,
            params=params,
            json_body=json_body,
        )

    def _call(
        self,
        method: str,
        path: str,
        *,
        consumer_id: str,
        service_id: str | None,
        handle: Callable[[requests.Response], T],
        params: Mapping[str, str] | None = None,
        json_body: object = None,
        stream: bool = False,
        allow_redirects: bool = False,
    ) -> T:
        url = f"{self._config.api_url}{path}"

        def attempt() -> T:
            response = self._session.request(
                method,
                url,
                headers=self._headers(consumer_id, service_id),
                params=params,
                json=json_body,
                stream=stream,
                allow_redirects=allow_redirects,
            )
            raise_for_status_closing(response, APIDECK_ERRORS, secrets=[self._config.api_key])
            return handle(response)

        return call_with_retries(attempt, policy=self._retry, sleep=self._sleep)
