"""What changes for fields read from OCR'd pages: how sure they are, a check-digit suggestion,
and where their evidence box sits on the page as scanned.

The engine extracts fields from OCR'd words exactly as from a text layer; this module then

* scales each field's confidence by how sure Tesseract was of the words the value was read
  from (``ocr_factor``), so a value read from smudged characters is not trusted as if it had
  been typed;
* for an IBAN or a VAT id that fails its check digits, looks for the one reading, a single
  OCR confusion away (O for 0, l for 1, S for 5, ...), that passes: when exactly one exists it
  is offered to the reviewer as ``suggestion`` (and named in the evidence text), never applied;
* maps evidence boxes from the straightened page back onto the page as scanned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from reconciliation.extraction.ocr import OcrResult
from reconciliation.extraction.ocr import to_page_space
from reconciliation.extraction.pdftext import PageText
from reconciliation.extraction.types import Evidence
from reconciliation.extraction.types import Extraction
from reconciliation.text.identifiers import check_iban as _check_iban
from reconciliation.text.identifiers import check_vat_id as _check_vat

#: Characters Tesseract confuses on invoices, both ways.
CONFUSIONS: dict[str, str] = {
    "O": "0",
    "0": "OD",
    "D": "0",
    "I": "1",
    "l": "1",
    "1": "Il",
    "S": "5",
    "5": "S",
    "B": "8",
    "8": "B",
    "Z": "2",
    "2": "Z",
    "G": "6",
    "6": "G",
}
#: A field whose value failed its check digits and has a suggestion is never trusted.
SUGGESTED_CEILING = 0.3
#: Word confidence (0-1) at and above which Tesseract's reading is taken as typed text.
SURE_WORDS = 0.9


def finish_ocr(extraction: Extraction, pages: list[PageText], scan: OcrResult) -> None:
    """Adjust the fields read from OCR'd pages in place, and name the lane."""
    read = sorted(number for number, page in scan.pages.items() if page.lines)
    extraction.ocr_pages = read
    ocr_chars = sum(scan.pages[number].chars for number in read)
    if extraction.source != "xml" and 2 * ocr_chars >= sum(page.chars for page in pages):
        extraction.source = "ocr"
    for name, found in list(extraction.fields.items()):
        evidence = found.evidence
        if found.source != "text" or evidence is None or evidence.page not in read:
            continue
        certainty = word_confidence(pages[evidence.page - 1], evidence)
        confidence = round(found.confidence * ocr_factor(certainty), 4)
        suggestion = suggest_correction(name, str(found.value))
        text = evidence.text
        if suggestion is not None:
            confidence = min(confidence, SUGGESTED_CEILING)
            text = f"{text} (check digits fail; {suggestion} would pass)"
        geometry = scan.geometry.get(evidence.page)
        bbox = evidence.bbox
        if bbox is not None and geometry is not None:
            bbox = to_page_space(bbox, geometry)
        extraction.fields[name] = dataclasses.replace(
            found,
            confidence=confidence,
            suggestion=suggestion,
            evidence=Evidence(evidence.page, bbox, text),
        )


def word_confidence(page: PageText, evidence: Evidence) -> float:
    """The lowest OCR confidence among the words the value was read from."""
    if evidence.bbox is None:
        return SURE_WORDS
    x0, top, x1, bottom = evidence.bbox
    inside = [
        word.confidence
        for line in page.lines
        for word in line.words
        if word.x0 < x1 - 0.5 and word.x1 > x0 + 0.5 and word.top < bottom and word.bottom > top
    ]
    return min(inside) if inside else SURE_WORDS


def ocr_factor(certainty: float) -> float:
    """1 for words Tesseract is sure of, falling to 0.5 for words it barely recognised."""
    if certainty >= SURE_WORDS:
        return 1.0
    return round(max(0.5, 1.0 - (SURE_WORDS - certainty) * 1.25), 3)


def suggest_correction(name: str, value: str) -> str | None:
    """The one single-character OCR correction that makes an invalid IBAN or VAT id pass its
    check digits: a confused character replaced (O for 0, l for 1, S for 5, ...), or a
    character OCR added dropped (a doubled "OO", an "l" beside a "1"). None when the value
    passes, or when no reading or several readings would."""
    check: Callable[[str], tuple[bool, bool]]
    if name in ("supplier_iban", "beneficiary_iban"):
        check = _check_iban
    elif name == "supplier_vat_id":
        check = _check_vat
    else:
        return None
    if not value or check(value)[0]:
        return None
    passing = {candidate for candidate in _one_misread_away(value) if check(candidate)[0]}
    return passing.pop() if len(passing) == 1 else None


def _one_misread_away(value: str) -> set[str]:
    readings: set[str] = set()
    for index, char in enumerate(value):
        for replacement in CONFUSIONS.get(char, ""):
            readings.add(value[:index] + replacement + value[index + 1 :])
        doubled = index > 0 and value[index - 1] == char
        if doubled or char in CONFUSIONS:
            readings.add(value[:index] + value[index + 1 :])
    readings.discard(value)
    return readings
