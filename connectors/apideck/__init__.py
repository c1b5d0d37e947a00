"""Apideck Unify (Vault + file-storage): typed client, schemas and Apideck-specific errors."""

from __future__ import annotations

from connectors.apideck.client import (
    ApideckClient,
    DownloadedFile,
    FilePage,
    InvalidCursorError,
    QuotaExceededError,
)
from connectors.apideck.schemas import UnifiedFile, VaultConnection, VaultSession

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
