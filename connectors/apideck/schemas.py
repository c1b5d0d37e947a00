"""Apideck Unify shapes (file-storage and Vault), validated at the edge and lenient: most fields
are nullable in the spec and connectors fill them unevenly.

Reference: https://github.com/apideck-libraries/openapi-specs (file-storage.yml, vault.yml).
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime
from pydantic import Field
from pydantic import ValidationInfo
from pydantic import field_validator
from pydantic import model_validator

from connectors.shapes import Lenient


class ParentFolder(Lenient):
    id: str
    name: str | None = None


class UnifiedFile(Lenient):
    """A ``data`` item of ``GET /file-storage/files``: a file or a folder."""

    id: str
    name: str
    type: str | None = None
    downstream_id: str | None = None
    path: str | None = None
    mime_type: str | None = None
    downloadable: bool | None = None
    size: int | None = Field(default=None, ge=0)
    parent_folders: list[ParentFolder] = Field(default_factory=list)
    updated_at: AwareDatetime | None = None
    created_at: AwareDatetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _named(cls, value: Any) -> Any:
        """``name`` is required but nullable in the spec: a file without one is named after the
        last part of its path, else its id, so it can still be listed and downloaded."""
        if isinstance(value, dict) and not value.get("name"):
            value = dict(value)
            path = value.get("path") if isinstance(value.get("path"), str) else ""
            value["name"] = path.rstrip("/").rsplit("/", 1)[-1] or str(value.get("id") or "")
        if isinstance(value, dict) and value.get("parent_folders") is None:
            value = {**value, "parent_folders": []}
        return value

    @property
    def is_file(self) -> bool:
        """``type`` is nullable in the spec: an untyped item that has a MIME type or says it is
        downloadable is taken for a file (folders have neither)."""
        if self.type is None:
            return self.mime_type is not None or self.downloadable is True
        return self.type == "file"

    @property
    def is_folder(self) -> bool:
        return self.type == "folder"


class Cursors(Lenient):
    previous: str | None = None
    current: str | None = None
    next: str | None = None


class ApideckWarning(Lenient):
    type: str | None = None
    status_code: int | None = None
    message: str | None = None
    operation: str | None = None


class Meta(Lenient):
    items_on_page: int | None = None
    cursors: Cursors = Field(default_factory=Cursors)
    warnings: list[ApideckWarning] = Field(default_factory=list)

    @field_validator("cursors", "warnings", mode="before")
    @classmethod
    def _null_is_default(cls, value: Any, info: ValidationInfo) -> Any:
        """Both are nullable in the spec: null means no cursors, no warnings."""
        if value is None:
            return {} if info.field_name == "cursors" else []
        return value


class FileListResponse(Lenient):
    status_code: int | None = None
    data: list[UnifiedFile]
    meta: Meta = Field(default_factory=Meta)

    @field_validator("meta", mode="before")
    @classmethod
    def _null_meta(cls, value: Any) -> Any:
        return {} if value is None else value


class VaultSession(Lenient):
    session_uri: str = Field(repr=False)
    session_token: str = Field(repr=False)


class FolderResponse(Lenient):
    """``GET /file-storage/folders/{id}``: one Folder (its shape is a file's, without type)."""

    data: UnifiedFile


class VaultSessionResponse(Lenient):
    data: VaultSession


def _from_epoch_ms(value: Any) -> datetime | None:
    """Vault timestamps are epoch milliseconds, 0 meaning "never"."""
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, str) and not value.isdigit():
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


class VaultConnection(Lenient):
    """The spec requires none of a connection's fields (validate answers only ``id`` and
    ``state``). A missing ``id`` is rebuilt the way Apideck spells it, ``<unified_api>+<service>``
    (e.g. ``file-storage+dropbox``), or left empty."""

    id: str = ""
    service_id: str | None = None
    unified_api: str | None = None
    name: str | None = None
    enabled: bool | None = None
    state: str | None = None
    integration_state: str | None = None
    health: str | None = None
    auth_type: str | None = None
    authorize_url: str | None = None
    revoke_url: str | None = None
    credentials_expire_at: datetime | None = None
    last_refresh_failed_at: datetime | None = None
    last_downstream_error_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _identified(cls, value: Any) -> Any:
        if isinstance(value, dict) and not value.get("id"):
            api, service = value.get("unified_api"), value.get("service_id")
            value = {**value, "id": f"{api}+{service}" if api and service else ""}
        return value

    @field_validator(
        "credentials_expire_at",
        "last_refresh_failed_at",
        "last_downstream_error_at",
        mode="before",
    )
    @classmethod
    def _epoch(cls, value: Any) -> datetime | None:
        return _from_epoch_ms(value)

    @property
    def is_callable(self) -> bool:
        """Ready to use: ``state == "callable"`` and not disabled."""
        return self.state == "callable" and self.enabled is not False

    @property
    def needs_reauth(self) -> bool:
        return self.state == "invalid" or self.health in ("needs_auth", "revoked", "needs_consent")


class VaultConnectionResponse(Lenient):
    data: VaultConnection


class ApideckErrorBody(Lenient):
    status_code: int | None = None
    error: str | None = None
    type_name: str | None = None
    message: str | None = None
    detail: Any = None
    ref: str | None = None

    @property
    def detail_type(self) -> str | None:
        if isinstance(self.detail, dict) and isinstance(self.detail.get("type"), str):
            return str(self.detail["type"])
        return None

    @property
    def downstream_retry_after(self) -> float | None:
        """Dropbox's own ``retry_after`` when Apideck forwards the downstream 429 body
        (``detail.error.error.retry_after``)."""
        node: Any = self.detail
        for key in ("error", "error", "retry_after"):
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        if isinstance(node, int | float | Decimal) and not isinstance(node, bool) and node >= 0:
            return float(node)
        return None

    @property
    def detail_text(self) -> str | None:
        if self.detail is None:
            return None
        if isinstance(self.detail, str):
            return self.detail
        if isinstance(self.detail, dict) and isinstance(self.detail.get("message"), str):
            return str(self.detail["message"])
        return None
