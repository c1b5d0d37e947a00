"""Dropbox API v2: typed client, schemas and Dropbox-specific errors."""

from __future__ import annotations

from connectors.dropbox.client import (
    BLOCK_SIZE,
    ContentHasher,
    ContentHashMismatchError,
    CursorResetError,
    DownloadedFile,
    DropboxClient,
    content_hash,
)
from connectors.dropbox.schemas import (
    Account,
    DeletedEntry,
    FileMetadata,
    FolderEntry,
    ListFolderResult,
    OtherEntry,
)

__all__ = [
    "BLOCK_SIZE",
    "Account",
    "ContentHashMismatchError",
    "ContentHasher",
    "CursorResetError",
    "DeletedEntry",
    "DownloadedFile",
    "DropboxClient",
    "FileMetadata",
    "FolderEntry",
    "ListFolderResult",
    "OtherEntry",
    "content_hash",
]
