"""A character OCR misread in an IBAN or a VAT id is caught by the check digits and the one
correction that passes is offered, never applied; OCR'd fields are only as sure as the words
they were read from."""

from __future__ import annotations

from reconciliation.extraction.engine import build_extraction
from reconciliation.extraction.ocr import OcrResult
from reconciliation.extraction.ocr import PageGeometry
from reconciliation.extraction.ocr import group_rows
from reconciliation.extraction.ocr_fields import ocr_factor
from reconciliation.extraction.ocr_fields import suggest_correction
from reconciliation.extraction.pdftext import PageText
from reconciliation.extraction.pdftext import TextWord
from reconciliation.extraction.types import Extraction

IBAN = "DE89370400440532013000"


def ocr_page(rows: list[str], *, confidence: float = 0.96, angle: float = 0.0) -> Extraction:
    """An extraction from words as Tesseract would hand them over: one row per string."""
    words: list[TextWord] = []
    for index, row in enumerate(rows):
        x = 60.0
        top = 60.0 + 18 * index
        for text in row.split():
            width = 6.0 * len(text)
            words.append(
                TextWord(1, text, x, top, x + width, top + 9, 9.0, False, confidence, top + 7)
            )
            x += width + 4
    page = PageText(1, 595.0, 842.0, group_rows(1, words), chars=sum(len(w.text) for w in words))
    scan = OcrResult(
        pages={1: page}, geometry={1: PageGeometry(1, angle, 595.0, 842.0)}, confidence={1: 96.0}
    )
    return build_extraction([page], None, [], scan)


INVOICE_ROWS = [
    "Muster Handel GmbH",
    "RECHNUNG",
    "Rechnungsnummer: R-1001",
    "Rechnungsdatum: 05.03.2026",
    "Nettobetrag 100,00 EUR",
    "Umsatzsteuer 19 % 19,00 EUR",
    "Gesamtbetrag 119,00 EUR",
]


def test_an_o_read_for_a_zero_is_suggested_not_applied() -> None:
    assert suggest_correction("supplier_iban", "DE89370400440532O13000") == IBAN


def test_a_character_ocr_added_is_suggested_away() -> None:
    assert suggest_correction("supplier_iban", "NL58RABOO0198723202") == "NL58RABO0198723202"


def test_a_letter_o_in_a_french_vat_id() -> None:
    assert suggest_correction("supplier_vat_id", "FR4O303265045") == "FR40303265045"


def test_a_valid_value_gets_no_suggestion() -> None:
    assert suggest_correction("supplier_iban", IBAN) is None
    assert suggest_correction("supplier_vat_id", "DE136695976") is None


def test_no_suggestion_when_no_single_confusion_fixes_it() -> None:
    # Two characters wrong: one fix cannot make the checksum pass.
    assert suggest_correction("supplier_iban", "DE89370400440532O1300O") is None


def test_other_fields_get_no_suggestion() -> None:
    assert suggest_correction("invoice_number", "R-1OO1") is None


def test_the_ocr_lane_offers_the_iban_correction_on_the_field() -> None:
    extraction = ocr_page([*INVOICE_ROWS, "IBAN: DE89 3704 0044 0532 O130 00"])
    field = extraction.fields["supplier_iban"]
    assert field.value == "DE89370400440532O13000"
    assert field.suggestion == IBAN
    assert field.confidence <= 0.3
    assert field.evidence is not None
    assert field.evidence.text == (
        f"IBAN: DE89 3704 0044 0532 O130 00 (check digits fail; {IBAN} would pass)"
    )
    again = Extraction.from_json(extraction.to_json())
    assert again.fields["supplier_iban"].suggestion == IBAN


def test_a_correctly_read_iban_has_no_suggestion() -> None:
    extraction = ocr_page([*INVOICE_ROWS, "IBAN: DE89 3704 0044 0532 0130 00"])
    field = extraction.fields["supplier_iban"]
    assert (field.value, field.suggestion) == (IBAN, None)
    assert "suggestion" not in extraction.to_json()["fields"]["supplier_iban"]


def test_smudged_words_lower_the_confidence() -> None:
    sure = ocr_page([*INVOICE_ROWS, "IBAN: DE89 3704 0044 0532 0130 00"])
    smudged = ocr_page([*INVOICE_ROWS, "IBAN: DE89 3704 0044 0532 0130 00"], confidence=0.6)
    for name in ("total_amount", "invoice_number", "supplier_iban"):
        assert smudged.fields[name].confidence < sure.fields[name].confidence
    assert (ocr_factor(0.95), ocr_factor(0.9), ocr_factor(0.7), ocr_factor(0.2)) == (
        1.0,
        1.0,
        0.75,
        0.5,
    )


def test_evidence_boxes_are_drawn_on_the_tilted_page() -> None:
    level = ocr_page([*INVOICE_ROWS])
    tilted = ocr_page([*INVOICE_ROWS], angle=2.0)
    straight = level.fields["invoice_number"].evidence
    turned = tilted.fields["invoice_number"].evidence
    assert straight is not None
    assert turned is not None
    assert straight.bbox == (160.0, 96.0, 196.0, 105.0)
    # Undoing a 2° counter-clockwise tilt about the page centre moves a box in the upper left
    # quarter down and to the left, and encloses it in a slightly larger box.
    assert turned.bbox is not None
    x0, top, x1, bottom = turned.bbox
    assert (x0 < 160.0, top > 96.0, x1 - x0 > 36.0, bottom - top > 9.0) == (True, True, True, True)
