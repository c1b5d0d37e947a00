"""Exceptions the engine raises on PDFs it cannot read; the isolation layer turns them into
human-readable failures (the message is shown to the user as the reason)."""

from __future__ import annotations

#: How much of an exception's own text `describe_error` keeps.
DESCRIBED_TEXT_CHARS = 120


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


def describe_error(exc: BaseException) -> str:
    """A library's exception in a few words, for a broken PDF's message and a damaged page's
    warning: the class of the error (the one it wraps when a parser passes the real error as
    its first argument, as pdfminer and pypdf do) and the first 120 characters of its text.
    Short because a finance user reads it beside the document; the class is what support
    looks up; the wrapper's own text says nothing more than the wrapped one."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    text = str(inner).strip()
    name = type(inner).__name__
    return f"{name}: {text[:DESCRIBED_TEXT_CHARS]}" if text else name
