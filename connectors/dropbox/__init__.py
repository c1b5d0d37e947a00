"""Dropbox API v2: typed client, schemas and Dropbox-specific errors."""

from __future__ import annotations

from connectors.dropbox.client import BLOCK_SIZE
from connectors.dropbox.client import ContentHasher
from connectors.dropbox.client import ContentHashMismatchError
from connectors.dropbox.client import CursorResetError
from connectors.dropbox.client import DownloadedFile
from connectors.dropbox.client import DropboxClient
from connectors.dropbox.client import content_hash
from connectors.dropbox.schemas import Account
from connectors.dropbox.schemas import DeletedEntry
from connectors.dropbox.schemas import FileMetadata
from connectors.dropbox.schemas import FolderEntry
from connectors.dropbox.schemas import ListFolderResult
from connectors.dropbox.schemas import OtherEntry

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
