"""Dropbox API v2 shapes, validated at the edge. Unknown fields are ignored and unknown entry
tags are kept as ``OtherEntry`` so a new Dropbox entry type never breaks a listing.

Reference: https://github.com/dropbox/dropbox-api-spec (files.stone, users.stone).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from typing import Any
from typing import Literal

from pydantic import AwareDatetime
from pydantic import Discriminator
from pydantic import Field
from pydantic import Tag

from connectors.shapes import Lenient


class FileMetadata(Lenient):
    """A file, as listed (``.tag == "file"``) or as returned in ``Dropbox-API-Result``."""

    tag: Literal["file"] = Field(default="file", alias=".tag")
    id: str
    name: str
    path_lower: str | None = None
    path_display: str | None = None
    rev: str
    size: int = Field(ge=0)
    server_modified: AwareDatetime
    client_modified: AwareDatetime | None = None
    content_hash: str | None = None
    is_downloadable: bool = True


class FolderEntry(Lenient):
    tag: Literal["folder"] = Field(alias=".tag")
    id: str
    name: str
    path_lower: str | None = None
    path_display: str | None = None


class DeletedEntry(Lenient):
    """Deleted entries carry no id and no rev: they must be matched by path."""

    tag: Literal["deleted"] = Field(alias=".tag")
    name: str
    path_lower: str | None = None
    path_display: str | None = None


class OtherEntry(Lenient):
    tag: str = Field(alias=".tag")
    name: str | None = None
    path_lower: str | None = None


def _entry_tag(value: Any) -> str:
    tag = value.get(".tag") if isinstance(value, dict) else getattr(value, "tag", None)
    return tag if tag in ("file", "folder", "deleted") else "other"


Entry = Annotated[
    Annotated[FileMetadata, Tag("file")]
    | Annotated[FolderEntry, Tag("folder")]
    | Annotated[DeletedEntry, Tag("deleted")]
    | Annotated[OtherEntry, Tag("other")],
    Discriminator(_entry_tag),
]


class ListFolderResult(Lenient):
    entries: list[Entry]
    cursor: str
    has_more: bool


class LatestCursor(Lenient):
    cursor: str


class AccountName(Lenient):
    display_name: str | None = None
    given_name: str | None = None
    surname: str | None = None


class RootInfo(Lenient):
    tag: str | None = Field(default=None, alias=".tag")
    root_namespace_id: str | None = None
    home_namespace_id: str | None = None


class Account(Lenient):
    account_id: str
    email: str | None = None
    name: AccountName | None = None
    root_info: RootInfo | None = None

    @property
    def display_name(self) -> str:
        return (self.name.display_name if self.name else None) or self.email or self.account_id


class DropboxErrorBody(Lenient):
    """``{"error_summary": "path/not_found/..", "error": {".tag": ...}, "user_message": ...}``"""

    error_summary: str = ""
    error: Any = None
    user_message: Any = None

    @property
    def tags(self) -> list[str]:
        """The tag chain of the structured union, e.g. ``["path", "not_found"]``."""
        chain: list[str] = []
        node = self.error
        while isinstance(node, dict) and isinstance(node.get(".tag"), str):
            tag = node[".tag"]
            chain.append(tag)
            node = node.get(tag)
        if not chain and isinstance(node, str):
            chain.append(node)
        if not chain and self.error_summary:
            chain = [part for part in self.error_summary.split("/") if part and part.strip(".")]
        return chain

    @property
    def retry_after(self) -> float | None:
        if isinstance(self.error, dict):
            value = self.error.get("retry_after")
            if isinstance(value, int | float | Decimal) or (
                isinstance(value, str) and value.isdigit()
            ):
                return float(value)
        return None


__all__ = [
    "Account",
    "DeletedEntry",
    "DropboxErrorBody",
    "Entry",
    "FileMetadata",
    "FolderEntry",
    "LatestCursor",
    "ListFolderResult",
    "OtherEntry",
]
