"""The engine's contract: what it returns for scans, what it raises on unreadable files, that
its result survives the JSON trip from the reader process, and that it stays light to import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image

from connectors.sandbox.documents.placed import lines_at
from connectors.sandbox.documents.placed import render_text
from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.errors import EncryptedPdfError
from reconciliation.extraction.errors import TooManyPagesError
from reconciliation.extraction.errors import UnreadablePdfError
from reconciliation.extraction.types import Extraction

FIXTURES = Path(__file__).parent / "fixtures" / "corpus"


def test_a_scan_has_no_text_layer(tmp_path: Path) -> None:
    pdf = FPDF(format="A4", unit="pt")
    pdf.add_page()
    pdf.image(Image.new("RGB", (200, 100), "white"), x=40, y=40, w=300)
    path = tmp_path / "scan.pdf"
    path.write_bytes(bytes(pdf.output()))
    extraction = extract_document(path)
    assert extraction.has_text_layer is False
    assert extraction.warnings == ["no text layer; OCR found no text"]
    assert (extraction.kind, extraction.source, extraction.fields, extraction.words) == (
        "other",
        "none",
        {},
        [],
    )
    assert extraction.kind_confidence < 0.5
    assert extraction.page_sizes == [(595.28, 841.89)]


def test_words_come_with_positions(tmp_path: Path) -> None:
    path = tmp_path / "words.pdf"
    path.write_bytes(
        render_text(
            [[(100, 200, "Invoice total 12,50", 10, False)], [(50, 60, "Page two", 10, False)]]
        )
    )
    extraction = extract_document(path)
    assert [(w.page, w.text) for w in extraction.words] == [
        (1, "Invoice"),
        (1, "total"),
        (1, "12,50"),
        (2, "Page"),
        (2, "two"),
    ]
    first = extraction.words[0]
    assert (first.x0, round(first.bottom - first.top, 1)) == (100.0, 10.0)
    assert extraction.page_count == 2


def test_the_result_round_trips_through_json() -> None:
    extraction = extract_document(FIXTURES / "tests__compare__free_fiber.pdf", use_xml=False)
    again = Extraction.from_json(extraction.to_json())
    assert again.fields == extraction.fields
    assert again.words == extraction.words
    assert (again.kind, again.page_sizes, again.language) == (
        extraction.kind,
        extraction.page_sizes,
        "fr",
    )


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(UnreadablePdfError, match=r"^empty file \(0 bytes\)$"):
        extract_document(path)


def test_a_zip_named_pdf(tmp_path: Path) -> None:
    path = tmp_path / "archive.pdf"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(UnreadablePdfError, match=r"^not a PDF file \(a ZIP archive\)$"):
        extract_document(path)


def test_a_truncated_pdf(tmp_path: Path) -> None:
    data = (FIXTURES / "tests__compare__QualityHosting.pdf").read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(UnreadablePdfError, match=r"^broken PDF \("):
        extract_document(path)


def test_a_password_protected_pdf(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("helvetica")
    pdf.text(20, 20, "Invoice 1")
    path = tmp_path / "locked.pdf"
    path.write_bytes(bytes(pdf.output()))
    with pytest.raises(EncryptedPdfError, match=r"^the PDF is password-protected$"):
        extract_document(path)


def test_too_many_pages_is_refused_before_reading_them(tmp_path: Path) -> None:
    pdf = FPDF()
    for _ in range(60):
        pdf.add_page()
    path = tmp_path / "long.pdf"
    path.write_bytes(bytes(pdf.output()))
    with pytest.raises(TooManyPagesError, match=r"^too many pages: 60 \(limit 50\)$") as raised:
        extract_document(path)
    assert raised.value.page_count == 60
    assert extract_document(path, max_pages=60).page_count == 60


def test_importing_the_engine_loads_no_django_and_no_pdf_library() -> None:
    code = (
        "import sys, reconciliation.extraction.engine; "
        "heavy = ('django', 'pdfplumber', 'pdfminer', 'lxml', 'schwifty'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.stdout.strip() == "[]"


def test_a_short_text_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "short.pdf"
    path.write_bytes(render_text([lines_at(["Invoice no. 77", "Total 10,00 EUR"])]))
    extraction = extract_document(path)
    assert extraction.has_text_layer is True
    assert extraction.value("invoice_number") == "77"
