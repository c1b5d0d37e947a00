"""Exceptions the engine raises on PDFs it cannot read; the isolation layer turns them into
human-readable failures (the message is shown to the user as the reason)."""

from __future__ import annotations


class ExtractionError(Exception):
    """Base class: the document cannot be parsed. ``reason`` is meant for humans."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnreadablePdfError(ExtractionError):
    """Zero bytes, not a PDF, truncated or structurally broken."""


class EncryptedPdfError(ExtractionError):
    """Password-protected: we never try to guess passwords."""


class TooManyPagesError(ExtractionError):
    """More pages than the configured cap; refused before doing any text work."""

    def __init__(self, reason: str, page_count: int | None = None) -> None:
        super().__init__(reason)
        self.page_count = page_count  # None when the document does not say


class ImageTooLargeError(UnreadablePdfError):
    """An embedded image would decode into more pixels than any real scan has (a
    decompression bomb): refused before it is decoded."""

    def __init__(self, reason: str, size: tuple[int, int]) -> None:
        super().__init__(reason)
        self.size = size


class PageTooLargeError(UnreadablePdfError):
    """A page without text is too large to render for OCR at any useful resolution."""
