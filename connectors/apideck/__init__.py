"""Apideck Unify (Vault + file-storage): typed client, schemas and Apideck-specific errors."""

from __future__ import annotations

from connectors.apideck.client import ApideckClient
from connectors.apideck.client import DownloadedFile
from connectors.apideck.client import FilePage
from connectors.apideck.client import InvalidCursorError
from connectors.apideck.client import QuotaExceededError
from connectors.apideck.schemas import UnifiedFile
from connectors.apideck.schemas import VaultConnection
from connectors.apideck.schemas import VaultSession

__all__ = [
    "ApideckClient",
    "DownloadedFile",
    "FilePage",
    "InvalidCursorError",
    "QuotaExceededError",
    "UnifiedFile",
    "VaultConnection",
    "VaultSession",
]
