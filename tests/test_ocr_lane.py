"""The OCR lane: a scanned invoice (no text layer) is read by Tesseract into positioned words
and goes through the same engine as a text layer, with evidence boxes on the page."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from connectors.sandbox.documents import LineItem
from connectors.sandbox.documents import render_invoice
from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.types import Extraction
from tests.documents import albrecht_invoice


def invoice_pdf(language: str = "de") -> bytes:
    spec = albrecht_invoice(
        (
            LineItem("Broschüren A5, 500 Stück", Decimal(2), Decimal("240.00"), Decimal(19)),
            LineItem("Versand", Decimal(1), Decimal("12.50"), Decimal(19)),
        ),
        language=language,
    )
    return render_invoice(spec).content


def scanned(pdf: bytes, *, dpi: int = 200, angle: float = 0.0) -> bytes:
    """The PDF as a desk scanner returns it: each page an image, no text layer."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    for index in range(len(document)):
        image = document[index].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        if angle:
            image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
        pages.append(image)
    document.close()
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return out.getvalue()


def read_scan(tmp_path: Path, pdf: bytes, **options: object) -> Extraction:
    path = tmp_path / "scan.pdf"
    path.write_bytes(pdf)
    return extract_document(path, **options)  # type: ignore[arg-type]


def test_a_scanned_invoice_is_read_by_ocr(tmp_path: Path) -> None:
    extraction = read_scan(tmp_path, scanned(invoice_pdf()))
    assert (extraction.source, extraction.has_text_layer, extraction.readable) == (
        "ocr",
        False,
        True,
    )
    assert (extraction.kind, extraction.language, extraction.ocr_pages) == ("invoice", "de", [1])
    assert extraction.kind_confidence >= 0.85
    assert extraction.warnings == ["read by OCR: page 1"]
    assert extraction.value("invoice_number") == "RE-2026-0815"
    assert extraction.value("issue_date") == date(2026, 3, 5)
    assert extraction.value("due_date") == date(2026, 4, 4)
    assert extraction.value("total_amount") == Decimal("586.08")
    assert extraction.value("tax_amount") == Decimal("93.58")
    assert extraction.value("currency") == "EUR"
    assert extraction.value("supplier_iban") == "DE89370400440532013000"
    assert extraction.value("supplier_vat_id") == "DE136695976"


def test_ocr_fields_carry_evidence_boxes_on_the_page(tmp_path: Path) -> None:
    extraction = read_scan(tmp_path, scanned(invoice_pdf()))
    width, height = extraction.page_sizes[0]
    for name in ("invoice_number", "total_amount", "supplier_iban"):
        evidence = extraction.fields[name].evidence
        assert evidence is not None
        assert evidence.page == 1
        assert evidence.bbox is not None
        x0, top, x1, bottom = evidence.bbox
        assert 0 <= x0 < x1 <= width
        assert 0 <= top < bottom <= height
    number_box = extraction.fields["invoice_number"].evidence
    assert number_box is not None
    assert "RE-2026-0815" in number_box.text
    assert any(word.text == "RE-2026-0815" for word in extraction.words)


def test_ocr_boxes_match_the_text_layer_positions(tmp_path: Path) -> None:
    original = invoice_pdf()
    path = tmp_path / "text.pdf"
    path.write_bytes(original)
    text = extract_document(path, use_xml=False)
    ocr = read_scan(tmp_path, scanned(original))
    for name in ("invoice_number", "total_amount"):
        typed, read = text.fields[name].evidence, ocr.fields[name].evidence
        assert typed is not None
        assert read is not None
        assert typed.bbox is not None
        assert read.bbox is not None
        assert all(abs(a - b) < 4 for a, b in zip(typed.bbox, read.bbox, strict=True))


def test_a_tilted_scan_is_straightened_and_read(tmp_path: Path) -> None:
    extraction = read_scan(tmp_path, scanned(invoice_pdf(), angle=1.2))
    assert extraction.value("invoice_number") == "RE-2026-0815"
    assert extraction.value("total_amount") == Decimal("586.08")
    assert extraction.value("supplier_iban") == "DE89370400440532013000"


def test_a_french_scan_is_read_in_french(tmp_path: Path) -> None:
    extraction = read_scan(tmp_path, scanned(invoice_pdf("fr")))
    assert (extraction.kind, extraction.language) == ("invoice", "fr")
    assert extraction.value("issue_date") == date(2026, 3, 5)
    assert extraction.value("total_amount") == Decimal("586.08")


def test_forced_ocr_ignores_the_text_layer(tmp_path: Path) -> None:
    path = tmp_path / "text.pdf"
    path.write_bytes(invoice_pdf())
    extraction = extract_document(path, use_xml=False, ocr="force")
    assert (extraction.source, extraction.ocr_pages) == ("ocr", [1])
    assert extraction.value("invoice_number") == "RE-2026-0815"


def test_a_text_layer_is_not_ocrd(tmp_path: Path) -> None:
    path = tmp_path / "text.pdf"
    path.write_bytes(invoice_pdf())
    extraction = extract_document(path, use_xml=False)
    assert (extraction.source, extraction.ocr_pages, extraction.has_text_layer) == (
        "text",
        [],
        True,
    )


def test_ocr_off_leaves_a_scan_unread(tmp_path: Path) -> None:
    extraction = read_scan(tmp_path, scanned(invoice_pdf()), ocr="off")
    assert (extraction.source, extraction.readable, extraction.fields) == ("none", False, {})
    assert extraction.warnings == ["no text layer"]


def test_a_blank_scan_stays_unreadable(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("L", (1654, 2339), 255).save(buffer, "PDF", resolution=200)
    extraction = read_scan(tmp_path, buffer.getvalue())
    assert (extraction.source, extraction.kind, extraction.fields) == ("none", "other", {})
    assert extraction.warnings == ["no text layer; OCR found no text"]


def test_the_ocr_lane_round_trips_through_json(tmp_path: Path) -> None:
    extraction = read_scan(tmp_path, scanned(invoice_pdf()))
    again = Extraction.from_json(extraction.to_json())
    assert again.fields == extraction.fields
    assert (again.source, again.ocr_pages, again.readable) == ("ocr", [1], True)
