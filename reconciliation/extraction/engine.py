"""PDF extraction engine: pure Python, no Django, safe to run in a child process.

``extract_document`` opens a PDF, reads its text layer once, reads the embedded CII XML
when there is one (exact values, confidence 1.0), and otherwise extracts the invoice fields
from the text with calibrated confidences and evidence. Heavy libraries are imported inside
the function so importing this module stays cheap.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING
from typing import Any

from reconciliation.extraction.errors import EncryptedPdfError
from reconciliation.extraction.errors import TooManyPagesError
from reconciliation.extraction.errors import UnreadablePdfError
from reconciliation.extraction.errors import describe_error
from reconciliation.extraction.types import DocumentKind
from reconciliation.extraction.types import Evidence
from reconciliation.extraction.types import ExtractedField
from reconciliation.extraction.types import Extraction
from reconciliation.extraction.types import FieldValue
from reconciliation.extraction.types import OcrMode
from reconciliation.extraction.types import Word

if TYPE_CHECKING:
    from reconciliation.extraction.blocks import Ourselves
    from reconciliation.extraction.candidates import Guess
    from reconciliation.extraction.cii import CiiInvoice
    from reconciliation.extraction.document import Document
    from reconciliation.extraction.ocr import OcrResult
    from reconciliation.extraction.pdftext import PageText

# Below this share of decodable characters the text layer is noise (a scan with an OCR-less
# font, or glyphs without a Unicode map) and the page is OCR'd; a document where nothing is
# readable even then goes to review as "no text layer".
MIN_READABLE_SHARE = 0.5
MIN_CHARS = 20
#: A page whose characters are mostly neither letters, digits nor ordinary punctuation carries
#: a garbage layer (glyph codes mapped to the wrong characters): it is OCR'd instead.
MIN_PLAIN_SHARE = 0.6
#: A page with fewer characters than this is checked for a page-sized image under them.
THIN_PAGE_CHARS = 200


def extract_document(
    pdf_path: str | os.PathLike[str],
    *,
    use_xml: bool = True,
    max_pages: int = 50,
    ocr: OcrMode = "auto",
    ocr_seconds: float | None = None,
    ourselves: Ourselves | None = None,
) -> Extraction:
    """Read one PDF and return what it says.

    ``ourselves`` is the company the invoices are addressed to: its name, VAT id and IBANs
    are never returned as the supplier's.

    Pages without a usable text layer are OCR'd (``ocr``); OCR starts no new page once
    ``ocr_seconds`` of wall time have passed since the call, so a long scan fits the reader's
    time limits (the pages left out are named in a warning).

    Raises UnreadablePdfError, EncryptedPdfError or TooManyPagesError (with a reason a
    person can read) on PDFs that cannot be processed.
    """
    started = time.perf_counter()
    path = os.fspath(pdf_path)
    _check_file(path)
    pdf = _open(path)
    with pdf:
        page_count = _declared_page_count(pdf)
        if page_count > max_pages:
            raise TooManyPagesError(
                f"too many pages: {page_count} (limit {max_pages})", page_count=page_count
            )
        pages, problems = read_pages(pdf, max_pages)
        invoice = _read_xml(pdf) if use_xml else None
    scan = None
    wanted = pages_to_ocr(path, pages, ocr)
    # With an embedded XML the fields are exact already; a scan with XML is not worth OCR.
    if wanted and (invoice is None or ocr == "force"):
        from reconciliation.extraction.ocr import ocr_pages

        deadline = None if ocr_seconds is None else started + ocr_seconds
        scan = ocr_pages(path, _reading_order(wanted), deadline=deadline, clock=time.perf_counter)
        for number, page in scan.pages.items():
            pages[number - 1] = page
    return build_extraction(pages, invoice, problems, scan, ourselves=ourselves)


def usable_text(page: PageText) -> bool:
    """The page carries a text layer that can be read as it is (else it is OCR'd): some
    decodable characters, mostly letters, digits and ordinary punctuation."""
    if page.chars == 0 or page.chars < MIN_READABLE_SHARE * (page.chars + page.cid_chars):
        return False
    return page.plain_chars >= MIN_PLAIN_SHARE * page.chars


def pages_to_ocr(path: str, pages: list[PageText], mode: OcrMode) -> list[int]:
    """ "force": every page. "auto": pages without a usable text layer, and pages whose few
    words sit on a page-sized image (a scan stamped "Scanned with ..." by the scanner app)."""
    if mode == "off":
        return []
    if mode == "force":
        return [page.number for page in pages]
    wanted = [page.number for page in pages if not usable_text(page)]
    thin = [p.number for p in pages if usable_text(p) and p.chars < THIN_PAGE_CHARS]
    if thin:
        from reconciliation.extraction.ocr import covered_by_image

        wanted += [number for number in thin if covered_by_image(path, number)]
    return sorted(wanted)


def _reading_order(numbers: list[int]) -> list[int]:
    """First page, last page, second page, then the rest: where an invoice's fields are, so a
    scan cut short by the deadline still has its header and its totals."""
    head = [n for n in (numbers[0], numbers[-1], *numbers[1:2]) if n in numbers]
    ordered = list(dict.fromkeys(head))
    return ordered + [n for n in numbers if n not in ordered]


def _check_file(path: str) -> None:
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise UnreadablePdfError(f"cannot open file: {exc.strerror or exc}") from exc
    if size == 0:
        raise UnreadablePdfError("empty file (0 bytes)")
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        if head.startswith(b"PK"):
            raise UnreadablePdfError("not a PDF file (a ZIP archive)")
        raise UnreadablePdfError("not a PDF file")


def _open(path: str) -> Any:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        return pdfplumber.open(path)
    except Exception as exc:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
                raise EncryptedPdfError("the PDF is password-protected") from exc
            cause = (
                cause.args[0]
                if cause.args and isinstance(cause.args[0], BaseException)
                else (cause.__cause__)
            )
        raise UnreadablePdfError(f"broken PDF ({describe_error(exc)})") from exc


def _declared_page_count(pdf: Any) -> int:
    """The page tree's /Count, read before any page is built so a 10,000-page file is
    refused at once."""
    from pdfminer.pdftypes import resolve1

    try:
        pages = resolve1(pdf.doc.catalog.get("Pages"))
        count = resolve1(pages.get("Count")) if isinstance(pages, dict) else None
    except Exception as exc:
        raise UnreadablePdfError(f"broken PDF ({describe_error(exc)})") from exc
    if isinstance(count, int) and count >= 0:
        return count
    return 0


def read_pages(pdf: Any, max_pages: int) -> tuple[list[PageText], list[str]]:
    """Every page's text layer (no OCR) of an open pdfplumber PDF, and warnings about pages
    that could not be read."""
    from pdfminer.pdfpage import PDFPage

    from reconciliation.extraction.pdftext import build_page
    from reconciliation.extraction.pdftext import read_page_chars

    pages: list[PageText] = []
    problems: list[str] = []
    try:
        for number, page_obj in enumerate(PDFPage.create_pages(pdf.doc), start=1):
            if number > max_pages:
                raise TooManyPagesError(f"too many pages: more than {max_pages}")
            page = _plumber_page(pdf, page_obj, number)
            chars, cid_chars = read_page_chars(pdf.rsrcmgr, page_obj)
            text = build_page(
                number,
                chars,
                width=float(page.width),
                height=float(page.height),
                mediabox_x0=float(page.mediabox[0]),
                mediabox_top=float(page.mediabox[1]),
            )
            text.cid_chars = cid_chars
            pages.append(text)
    except (TooManyPagesError, MemoryError):
        raise
    except RecursionError as exc:
        raise UnreadablePdfError("broken PDF (objects nested too deeply)") from exc
    except Exception as exc:
        if not pages:
            raise UnreadablePdfError(f"broken PDF ({describe_error(exc)})") from exc
        # A damaged later page: keep what was read, and say so for the reviewer.
        problems.append(
            f"page {len(pages) + 1} and after could not be read ({describe_error(exc)})"
        )
    if not pages:
        raise UnreadablePdfError("the PDF has no pages")
    return pages, problems


def _plumber_page(pdf: Any, page_obj: Any, number: int) -> Any:
    import pdfplumber.page

    return pdfplumber.page.Page(pdf, page_obj, page_number=number)


def _read_xml(pdf: Any) -> CiiInvoice | None:
    from reconciliation.extraction.cii import read_embedded_invoice

    try:
        return read_embedded_invoice(pdf.doc)
    except Exception:  # a broken attachment must not cost us the text layer
        return None


def build_extraction(
    pages: list[PageText],
    invoice: CiiInvoice | None,
    problems: list[str] | None = None,
    scan: OcrResult | None = None,
    *,
    ourselves: Ourselves | None = None,
) -> Extraction:
    from reconciliation.extraction.document import Document

    words = [
        Word(page.number, w.text, w.x0, w.top, w.x1, w.bottom)
        for page in pages
        for line in page.lines
        for w in line.words
    ]
    sizes = [(page.width, page.height) for page in pages]
    attempted = set(scan.pages) if scan is not None else set()
    has_text = _readable([p for p in pages if p.number not in attempted])
    readable = _readable(pages)
    warnings: list[str] = list(problems or [])
    if scan is not None:
        warnings.extend(_ocr_warnings(scan))
    doc = Document(pages)
    doc.ourselves = ourselves
    if not readable:
        warnings.insert(0, "no text layer" if scan is None else "no text layer; OCR found no text")
        words = []
        doc = Document([])
    if invoice is not None:
        extraction = _from_xml(doc, invoice, pages, sizes, words, warnings, has_text=readable)
        extraction.has_text_layer = has_text
    elif not readable:
        return Extraction(
            kind="other",
            kind_confidence=0.1,
            fields={},
            page_count=len(pages),
            has_text_layer=False,
            language=None,
            source="none",
            page_sizes=sizes,
            words=[],
            warnings=warnings,
        )
    else:
        extraction = _from_text(doc, len(pages), sizes, words, warnings)
        extraction.has_text_layer = has_text
    if scan is not None and readable:
        from reconciliation.extraction.ocr_fields import finish_ocr

        finish_ocr(extraction, pages, scan)
    return extraction


def _readable(pages: list[PageText]) -> bool:
    total = sum(page.chars for page in pages)
    unreadable = sum(page.cid_chars for page in pages)
    return total >= MIN_CHARS and total >= MIN_READABLE_SHARE * (total + unreadable)


def _ocr_warnings(scan: OcrResult) -> list[str]:
    warnings: list[str] = []
    read = sorted(number for number, page in scan.pages.items() if page.lines)
    if read:
        warnings.append(f"read by OCR: {_page_list(read)}")
    if scan.skipped:
        warnings.append(
            f"not read: {_page_list(scan.skipped)} (OCR stopped at the time limit; "
            "fields printed there may be missing)"
        )
    return warnings


def _page_list(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    runs: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        runs.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return "pages " + ", ".join(runs)


def _from_text(
    doc: Document,
    page_count: int,
    sizes: list[tuple[float, float]],
    words: list[Word],
    warnings: list[str],
) -> Extraction:
    from reconciliation.extraction.classify import classify
    from reconciliation.extraction.classify import detect_language

    doc.language = detect_language(doc)
    doc.month_first = _month_first(doc)
    kind, kind_confidence = classify(doc)
    fields = extract_fields(doc)
    if kind in ("payment_confirmation", "wire_notice"):
        fields.update(extract_payment(doc, fields))
    return Extraction(
        kind=kind,
        kind_confidence=kind_confidence,
        fields=fields,
        page_count=page_count,
        has_text_layer=True,
        language=doc.language,
        source="text",
        page_sizes=sizes,
        words=words,
        warnings=warnings,
    )


def _month_first(doc: Document) -> bool:
    """US documents write 03/05/2024 for March 5: English, dollars, and no date that only
    reads day-first."""
    import re

    if doc.language != "en":
        return False
    text = doc.full_folded
    if "$" not in text and "usd" not in text:
        return False
    day_first = re.search(r"(?<![\d/])(1[3-9]|2\d|3[01])/(0?\d|1[0-2])/(?:19|20)\d\d", text)
    return day_first is None


def _field(
    name: str, guess: Guess, features_extra: dict[str, float] | None = None
) -> ExtractedField:
    from reconciliation.extraction.confidence import confidence

    features = dict(guess.features)
    if features_extra:
        features.update(features_extra)
    return ExtractedField(
        name=name,
        value=guess.value,
        confidence=confidence(name, features),
        source="text",
        evidence=guess.evidence,
    )


def extract_fields(doc: Document) -> dict[str, ExtractedField]:
    from reconciliation.extraction import fields as f
    from reconciliation.extraction import parties
    from reconciliation.extraction.candidates import Guess

    out: dict[str, ExtractedField] = {}
    for name, guess in parties.extract_parties(doc, doc.ourselves).items():
        out[name] = _field(name, guess)
    number = f.extract_invoice_number(doc)
    if number is not None:
        out["invoice_number"] = _field("invoice_number", number)
    out.update(_date_fields(doc))
    out.update(_amount_fields(doc))
    currency = f.extract_currency(doc)
    if (
        currency is None
        and doc.decimal_mark == ","
        and doc.language in ("de", "fr", "nl", "es", "it")
    ):
        currency = Guess("EUR", None, 0.0, {"default": 1.0})
    if currency is not None:
        out["currency"] = _field("currency", currency)
    return out


def _date_fields(doc: Document) -> dict[str, ExtractedField]:
    """Issue and due date, read together: the due date may fix the issue date's day/month."""
    from datetime import date

    from reconciliation.extraction import fields as f

    out: dict[str, ExtractedField] = {}
    issue = f.extract_issue_date(doc)
    issue_value = issue.value if issue is not None else None
    due = f.extract_due_date(doc, issue_value if isinstance(issue_value, date) else None)
    if issue is not None and due is not None:
        f.reconcile_day_month(doc, issue, due)
    if issue is not None:
        out["issue_date"] = _field("issue_date", issue)
    if due is not None:
        out["due_date"] = _field("due_date", due)
    return out


def _amount_fields(doc: Document) -> dict[str, ExtractedField]:
    """Total, tax and (when net + tax = total was found) net, from the page's totals."""
    from reconciliation.extraction.candidates import Guess
    from reconciliation.extraction.totals import choose_totals

    out: dict[str, ExtractedField] = {}
    totals = choose_totals(doc)
    if totals.total is not None:
        total = totals.total
        largest = max(
            (abs(c.value) for c in totals.candidates if c.role in ("total", "due")), default=0
        )
        guess = Guess(abs(total.value), total.evidence(), total.strength)
        out["total_amount"] = _field(
            "total_amount",
            guess,
            {
                "consistent": float(totals.consistent),
                "strength": total.strength,
                "competitors": float(totals.total_competitors),
                "currency_near": float(total.currency_near),
                "largest": float(abs(total.value) == largest),
            },
        )
    if totals.tax_value is not None:
        guess = Guess(abs(totals.tax_value), totals.tax_evidence, 0.0)
        strength = totals.tax.strength if totals.tax is not None else 0.4
        out["tax_amount"] = _field(
            "tax_amount",
            guess,
            {
                "consistent": float(totals.consistent),
                "strength": strength,
                "derived": float(totals.tax_derived),
                "competitors": float(totals.tax_competitors),
            },
        )
    if totals.net is not None and totals.consistent and "total_amount" in out:
        # Only when net + tax = total was found on the page: then the net line is certain
        # enough to show the reviewer, and as sure as the weaker of the two it agrees with.
        sure = min(
            out["total_amount"].confidence,
            out["tax_amount"].confidence if "tax_amount" in out else 1.0,
        )
        out["net_amount"] = ExtractedField(
            name="net_amount",
            value=abs(totals.net.value),
            confidence=sure,
            source="text",
            evidence=totals.net.evidence(),
        )
    return out


def extract_payment(doc: Document, fields: dict[str, ExtractedField]) -> dict[str, ExtractedField]:
    from reconciliation.extraction.payment import extract_payment_fields

    return {name: _field(name, guess) for name, guess in extract_payment_fields(doc).items()}


# --- embedded XML --------------------------------------------------------------------------


def _from_xml(
    doc: Document,
    invoice: CiiInvoice,
    pages: list[PageText],
    sizes: list[tuple[float, float]],
    words: list[Word],
    warnings: list[str],
    *,
    has_text: bool,
) -> Extraction:
    from reconciliation.extraction.cii import CREDIT_NOTE_CODES

    kind: DocumentKind = "credit_note" if invoice.type_code in CREDIT_NOTE_CODES else "invoice"
    fields: dict[str, ExtractedField] = {}
    for name, value in invoice.fields.items():
        fields[name] = ExtractedField(
            name=name,
            value=value,
            confidence=1.0,
            source="xml",
            evidence=_locate(doc, name, value, invoice.attachment),
        )
    language = None
    if has_text:
        from reconciliation.extraction.classify import detect_language

        language = doc.language = detect_language(doc)
        doc.month_first = _month_first(doc)
        # A MINIMUM or BASIC-WL profile leaves out the IBAN, the due date or the seller's
        # contact: what the page shows fills those gaps, with its own (text) confidence.
        for name, found in extract_fields(doc).items():
            fields.setdefault(name, found)
    return Extraction(
        kind=kind,
        kind_confidence=1.0,
        fields=fields,
        page_count=len(pages),
        has_text_layer=has_text,
        language=language,
        source="xml",
        page_sizes=sizes,
        words=words,
        warnings=warnings,
    )


def _locate(doc: Document, name: str, value: FieldValue, attachment: str) -> Evidence:
    """Where an XML value is also printed, so the review screen can draw its box."""
    from datetime import date
    from decimal import Decimal

    from reconciliation.extraction.amounts import find_amounts
    from reconciliation.extraction.dates import find_dates

    fallback = Evidence(page=1, bbox=None, text=f"embedded XML ({attachment or 'CII'})")
    for line in doc.lines:
        if isinstance(value, Decimal):
            for amount in find_amounts(line.text, doc.decimal_mark):
                if amount.has_decimals and abs(amount.value) == abs(value):
                    return Evidence(line.page, line.bbox(amount.start, amount.end), line.text)
        elif isinstance(value, date):
            for found in find_dates(line.text):
                if found.value == value:
                    return Evidence(line.page, line.bbox(found.start, found.end), line.text)
        else:
            start = _find_compact(line.text, str(value))
            if start is not None:
                return Evidence(line.page, line.bbox(*start), line.text)
    return fallback


def _find_compact(text: str, value: str) -> tuple[int, int] | None:
    """Find ``value`` in ``text`` ignoring spaces and case ("DE 1234 5678" for "DE12345678")."""
    target = "".join(value.split()).casefold()
    if not target:
        return None
    positions = [i for i, ch in enumerate(text) if not ch.isspace()]
    compact = "".join(text[i] for i in positions).casefold()
    index = compact.find(target)
    if index < 0:
        return None
    return positions[index], positions[index + len(target) - 1] + 1
