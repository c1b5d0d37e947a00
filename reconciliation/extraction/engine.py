"""PDF extraction engine: pure Python, no Django, safe to run in a child process."""

from __future__ import annotations

import os

from reconciliation.extraction.errors import (
    EncryptedPdfError,
    TooManyPagesError,
    UnreadablePdfError,
)
from reconciliation.extraction.types import Extraction, Word


def extract_document(
    pdf_path: str | os.PathLike[str], *, use_xml: bool = True, max_pages: int = 50
) -> Extraction:
    """Read one PDF and return what it says. Raises ExtractionError subclasses on PDFs that
    cannot be read (the caller turns those into a failed document)."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    path = os.fspath(pdf_path)
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise UnreadablePdfError(f"cannot open file: {exc.strerror or exc}") from exc
    if size == 0:
        raise UnreadablePdfError("empty file (0 bytes)")
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise UnreadablePdfError("not a PDF file")
    try:
        pdf = pdfplumber.open(path)
    except PDFPasswordIncorrect as exc:
        raise EncryptedPdfError("the PDF is password-protected") from exc
    except Exception as exc:
        raise UnreadablePdfError(f"broken PDF: {exc.__class__.__name__}") from exc
    with pdf:
        pages = pdf.pages
        if len(pages) > max_pages:
            raise TooManyPagesError(f"too many pages: {len(pages)} (limit {max_pages})")
        words: list[Word] = []
        sizes: list[tuple[float, float]] = []
        for number, page in enumerate(pages, start=1):
            sizes.append((float(page.width), float(page.height)))
            for w in page.extract_words():
                words.append(
                    Word(
                        number,
                        w["text"],
                        float(w["x0"]),
                        float(w["top"]),
                        float(w["x1"]),
                        float(w["bottom"]),
                    )
                )
    has_text = bool(words)
    return Extraction(
        kind="other",
        kind_confidence=0.1,
        fields={},
        page_count=len(sizes),
        has_text_layer=has_text,
        language=None,
        source="text" if has_text else "none",
        page_sizes=sizes,
        words=words,
        warnings=[] if has_text else ["no text layer"],
    )
