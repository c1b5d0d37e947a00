"""Hostile files end as ExtractionFailure with the right code and reason, and the worker goes
on reading the next (normal) document. Every file is generated here."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from pypdf import PdfReader
from pypdf import PdfWriter

from reconciliation.extraction.isolation import ExtractionFailure
from reconciliation.extraction.isolation import Limits
from reconciliation.extraction.isolation import extract_isolated
from reconciliation.extraction.rawpdf import pdf_stream
from reconciliation.extraction.rawpdf import raw_pdf
from reconciliation.extraction.types import Extraction

#: Small limits keep the suite fast; the mechanisms are the same as with the defaults.
# Wall time far above CPU time: under a loaded CI machine the CPU limit must still be what
# stops the hanging parser (the wall-clock path has its own test in test_isolation.py).
LIMITS = Limits(memory_mb=256, cpu_seconds=3, wall_seconds=20, max_pages=50)
INVOICE_WORDS = ["Invoice", "INV-1001", "Total", "100.00", "EUR"]


def invoice_pdf() -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=12)
    document.cell(text="Invoice INV-1001 Total 100.00 EUR")
    return bytes(document.output())


def one_page_pdf(page: bytes, *objects: bytes, catalog_entries: bytes = b"") -> bytes:
    """A PDF of one page: the catalog (1), the page tree (2), ``page`` (3), then ``objects``
    numbered from 4."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog_entries,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            page,
            *objects,
        ]
    )


def text_page_pdf(
    *, page_entries: bytes = b"", catalog_entries: bytes = b"", extra: list[bytes] | None = None
) -> bytes:
    """One page saying the invoice text in Helvetica; objects 6.. are ``extra``."""
    content = b"BT /F1 12 Tf 40 780 Td (Invoice INV-1001 Total 100.00 EUR) Tj ET"
    return one_page_pdf(
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> %s>> >>" % page_entries,
        pdf_stream(content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *(extra or []),
        catalog_entries=catalog_entries,
    )


def inflating_to(size: int) -> bytes:
    """Flate data that inflates to ``size`` spaces, built without compressing them: one
    full-flushed segment for a MiB, repeated."""
    chunk = b" " * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush(zlib.Z_FINISH)
    checksum = 1
    for _ in range(size >> 20):
        checksum = zlib.adler32(chunk, checksum)
    return b"\x78\xda" + segment * (size >> 20) + end + checksum.to_bytes(4, "big")


def hanging_pdf(operators: int = 20_000_000) -> bytes:
    """A page whose content stream is millions of no-op operators: pdfminer reads about a
    hundred thousand a second, so this one would take minutes."""
    content = zlib.compress(b"q Q " * operators, 6)
    return one_page_pdf(
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        pdf_stream(content, b"/Filter /FlateDecode "),
    )


def zero_bytes() -> bytes:
    return b""


def truncated() -> bytes:
    whole = invoice_pdf()
    return whole[: len(whole) * 6 // 10]


def zip_named_pdf() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("invoice.pdf", invoice_pdf())
    return buffer.getvalue()


def html_named_pdf() -> bytes:
    return b"<!DOCTYPE html>\n<html><body>Your invoice is ready</body></html>\n"


def password_protected() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(invoice_pdf())))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def deeply_nested_arrays() -> bytes:
    depth = 50_000
    return one_page_pdf(
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /MediaBox %s%s >>"
        % (b"[" * depth, b"]" * depth),
        pdf_stream(b"BT ET"),
    )


def self_referencing_object() -> bytes:
    return one_page_pdf(
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /MediaBox 5 0 R >>",
        pdf_stream(b"BT ET"),
        b"[5 0 R]",
    )


def ten_thousand_pages() -> bytes:
    count = 10_000
    kids = b" ".join(b"%d 0 R" % (4 + index) for index in range(count))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>"
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
            pdf_stream(b"BT ET"),
            *[page] * count,
        ]
    )


def content_stream_bomb() -> bytes:
    return one_page_pdf(
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        pdf_stream(inflating_to(1 << 30), b"/Filter /FlateDecode "),
    )


def huge_image() -> bytes:
    image = pdf_stream(
        inflating_to(1 << 30),
        b"/Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceRGB"
        b" /BitsPerComponent 8 /Filter /FlateDecode ",
    )
    return text_page_pdf(page_entries=b"/XObject << /Im1 6 0 R >> ", extra=[image])


def scanned_image_bomb() -> bytes:
    """A page with no text and one image to OCR, declared 100000 x 100000: the size is read
    from the image's dictionary and the page refused before anything is decoded."""
    image = pdf_stream(
        inflating_to(1 << 30),
        b"/Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8 /Filter /FlateDecode ",
    )
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    return one_page_pdf(
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /XObject << /Im1 5 0 R >> >> >>",
        pdf_stream(content),
        image,
    )


def giant_scanned_page() -> bytes:
    """A page without text the size of a football pitch: no resolution would make it both
    readable and small enough to render."""
    image = pdf_stream(
        zlib.compress(b"\x80" * 100),
        b"/Type /XObject /Subtype /Image /Width 10 /Height 10 /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8 /Filter /FlateDecode ",
    )
    content = b"q 14400 0 0 14400 0 0 cm /Im1 Do Q"
    return one_page_pdf(
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /Contents 4 0 R"
        b" /Resources << /XObject << /Im1 5 0 R >> >> >>",
        pdf_stream(content),
        image,
    )


def javascript_on_open() -> bytes:
    return text_page_pdf(
        catalog_entries=b"/OpenAction << /S /JavaScript /JS (app.alert\\('paid'\\);) >> "
    )


def javascript_in_link() -> bytes:
    annotation = (
        b"<< /Type /Annot /Subtype /Link /Rect [40 770 300 800]"
        b" /A << /S /JavaScript /JS 7 0 R >> >>"
    )
    return text_page_pdf(
        page_entries=b"",
        extra=[annotation, pdf_stream(b"this.submitForm('https://example.invalid/')")],
    ).replace(b"/Contents 4 0 R", b"/Contents 4 0 R /Annots [6 0 R]")


DAMAGED = "The PDF is damaged and could not be read; ask the supplier to send it again."
ACTIVE = (
    "The PDF contains scripts or actions that an invoice never needs; it was not processed."
    " Ask the supplier for a plain PDF."
)
IMAGE_TOO_LARGE = (
    "The PDF contains an image of 100000 x 100000 pixels, far larger than any scan; it was not"
    " processed."
)
RECURSION = (
    "The PDF's internal structure loops back on itself or is nested too deeply to read; the"
    " file is damaged or deliberately malformed."
)

CASES: list[tuple[str, Callable[[], bytes], str, str]] = [
    (
        "zero_bytes_case",
        zero_bytes,
        "empty",
        "The file is empty (0 bytes); ask the supplier to send it again.",
    ),
    (
        "truncated_case",
        truncated,
        "truncated",
        "The PDF is incomplete (it was cut off, probably during upload or download); ask the"
        " supplier to send it again.",
    ),
    (
        "zip_named_pdf_case",
        zip_named_pdf,
        "not_pdf",
        "The file is not a PDF (it looks like a ZIP archive).",
    ),
    (
        "html_named_pdf_case",
        html_named_pdf,
        "not_pdf",
        "The file is not a PDF (it looks like a web page (HTML)).",
    ),
    (
        "password_case",
        password_protected,
        "encrypted",
        "The PDF is protected with a password; ask the supplier for an unprotected copy.",
    ),
    ("deep_nesting_case", deeply_nested_arrays, "recursion", RECURSION),
    ("self_reference_case", self_referencing_object, "recursion", RECURSION),
    (
        "ten_thousand_pages_case",
        ten_thousand_pages,
        "too_many_pages",
        "The PDF has 10000 pages; the limit is 50.",
    ),
    (
        "content_bomb_case",
        content_stream_bomb,
        "memory",
        "Reading the PDF needed more than 256 MB of memory and was stopped.",
    ),
    ("huge_image_case", huge_image, "image_too_large", IMAGE_TOO_LARGE),
    ("scanned_image_bomb_case", scanned_image_bomb, "image_too_large", IMAGE_TOO_LARGE),
    (
        "giant_scanned_page_case",
        giant_scanned_page,
        "page_too_large",
        "A page of the PDF is too large to read as a scan (larger than any paper format); it"
        " was not processed.",
    ),
    ("javascript_on_open_case", javascript_on_open, "active_content", ACTIVE),
    ("javascript_in_link_case", javascript_in_link, "active_content", ACTIVE),
    (
        "hanging_parser_case",
        hanging_pdf,
        "cpu",
        "Reading the PDF needed more than 3 s of processing time and was stopped.",
    ),
]


@pytest.fixture(scope="module")
def invoice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("normal") / "invoice.pdf"
    path.write_bytes(invoice_pdf())
    return path


@pytest.mark.parametrize(
    ("build", "code", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_hostile_file_fails_and_next_document_parses(
    tmp_path: Path, invoice: Path, build: Callable[[], bytes], code: str, reason: str
) -> None:
    hostile = tmp_path / "hostile.pdf"
    hostile.write_bytes(build())

    outcome = extract_isolated(hostile, limits=LIMITS)

    assert isinstance(outcome, ExtractionFailure)
    assert (outcome.code, outcome.reason) == (code, reason)
    following = extract_isolated(invoice, limits=LIMITS)
    assert isinstance(following, Extraction)
    assert [word.text for word in following.words] == INVOICE_WORDS


def test_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.pdf"
    with big.open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(21 * 1024 * 1024)

    outcome = extract_isolated(big, limits=LIMITS)

    assert outcome == ExtractionFailure("too_large", "The file is 21 MB; the limit is 20 MB.")


def test_normal_invoice_with_small_image_parses(tmp_path: Path) -> None:
    image = pdf_stream(
        zlib.compress(b"\x00" * 300),
        b"/Subtype /Image /Width 10 /Height 10 "
        b"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode ",
    )
    path = tmp_path / "with-logo.pdf"
    path.write_bytes(text_page_pdf(page_entries=b"/XObject << /Im1 6 0 R >> ", extra=[image]))

    outcome = extract_isolated(path, limits=LIMITS)

    assert isinstance(outcome, Extraction)
    assert [word.text for word in outcome.words] == INVOICE_WORDS


def long_scan(pages: int) -> bytes:
    """A desk scanner's multi-page file: every page an image of typed text, no text layer."""
    document = FPDF(format="A4", unit="pt")
    document.add_page()
    document.set_font("Helvetica", size=11)
    for row in range(40):
        document.text(50, 60 + 18 * row, f"Line {row} of the delivery terms, clause {row + 1}.")
    rendered = pdfium.PdfDocument(bytes(document.output()))
    image = rendered[0].render(scale=200 / 72, grayscale=True).to_pil().convert("L")
    rendered.close()
    out = io.BytesIO()
    image.save(out, "PDF", resolution=200, save_all=True, append_images=[image] * (pages - 1))
    return out.getvalue()


def test_a_fifty_page_scan_ends_within_the_limits_with_what_was_read(
    tmp_path: Path, invoice: Path
) -> None:
    path = tmp_path / "scan-50.pdf"
    path.write_bytes(long_scan(50))
    limits = Limits(memory_mb=512, cpu_seconds=20, wall_seconds=30, max_pages=50)

    outcome = extract_isolated(path, limits=limits)

    assert isinstance(outcome, Extraction)
    assert (outcome.page_count, outcome.source) == (50, "ocr")
    # First and last pages first: where an invoice's header and totals are.
    assert (outcome.ocr_pages[0], outcome.ocr_pages[-1]) == (1, 50)
    read = len(outcome.ocr_pages)
    assert 2 <= read < 50
    assert outcome.warnings[-1].endswith(
        "(OCR stopped at the time limit; fields printed there may be missing)"
    )
    assert outcome.warnings[-1].startswith("not read: pages ")
    following = extract_isolated(invoice, limits=LIMITS)
    assert isinstance(following, Extraction)
    assert [word.text for word in following.words] == INVOICE_WORDS
