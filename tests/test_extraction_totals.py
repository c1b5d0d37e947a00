"""Total, tax and net chosen by label and by net + tax = total among competing amounts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from connectors.sandbox.documents.placed import lines_at
from connectors.sandbox.documents.placed import render_text
from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.types import Extraction


def read(tmp_path: Path, rows: list[str | tuple[str, ...]]) -> Extraction:
    path = tmp_path / "totals.pdf"
    path.write_bytes(render_text([lines_at(["INVOICE", "Invoice no: 2024-7", *rows])]))
    return extract_document(path)


def amounts(extraction: Extraction) -> tuple[object, object]:
    return extraction.value("total_amount"), extraction.value("tax_amount")


def test_gross_total_is_kept_when_a_prepayment_lowers_the_amount_due(tmp_path: Path) -> None:
    extraction = read(
        tmp_path,
        [
            ("Total HT", "", "", "624,90 EUR"),
            ("Total TVA", "", "", "46,25 EUR"),
            ("Total TTC", "", "", "671,15 EUR"),
            ("Acompte versé", "", "", "-201,00 EUR"),
            ("Net à payer", "", "", "470,15 EUR"),
        ],
    )
    assert amounts(extraction) == (Decimal("671.15"), Decimal("46.25"))
    assert extraction.fields["total_amount"].confidence >= 0.85


def test_consistency_picks_the_tax_total_among_rate_lines(tmp_path: Path) -> None:
    extraction = read(
        tmp_path,
        [
            ("Nettobetrag", "", "", "473,00"),
            ("USt. 7 %", "", "275,00", "19,25"),
            ("USt. 19 %", "", "198,00", "37,62"),
            ("Gesamtbetrag", "", "", "529,87"),
        ],
    )
    assert amounts(extraction) == (Decimal("529.87"), Decimal("56.87"))


def test_a_totals_row_is_read_through_its_column_headers(tmp_path: Path) -> None:
    extraction = read(
        tmp_path,
        [
            ("", "Montant HT", "Montant TVA", "Montant TTC"),
            ("Abonnement", "24.99", "5.00", "29.99"),
            ("Total facture", "24.99", "5.00", "29.99"),
        ],
    )
    assert amounts(extraction) == (Decimal("29.99"), Decimal("5.00"))


def test_line_item_amounts_are_not_the_total(tmp_path: Path) -> None:
    extraction = read(
        tmp_path,
        [
            ("Description", "Qty", "Unit price", "Amount"),
            ("Design work", "10", "1,200.00", "12,000.00"),
            ("Printing", "1", "300.00", "300.00"),
            ("", "", "Subtotal", "12,300.00"),
            ("", "", "VAT 20%", "2,460.00"),
            ("", "", "Grand total", "14,760.00"),
        ],
    )
    assert amounts(extraction) == (Decimal("14760.00"), Decimal("2460.00"))


def test_tax_is_total_minus_net_when_only_those_are_printed(tmp_path: Path) -> None:
    extraction = read(
        tmp_path, [("Totaal excl. BTW", "", "", "100,00"), ("Totaal", "", "", "121,00")]
    )
    assert amounts(extraction) == (Decimal("121.00"), Decimal("21.00"))
    assert extraction.fields["tax_amount"].confidence < 0.85


def test_discounts_and_unit_prices_are_never_the_total(tmp_path: Path) -> None:
    extraction = read(
        tmp_path,
        [
            ("Bruttopreis", "", "", "1.500,00"),
            ("Rabatt inklusive", "", "", "-100,00"),
            ("Summe netto", "", "", "200,00"),
            ("zzgl. 19 % USt.", "", "", "38,00"),
            ("Rechnungsbetrag", "", "", "238,00"),
        ],
    )
    assert amounts(extraction) == (Decimal("238.00"), Decimal("38.00"))


def test_french_thousands_spaces_make_one_amount(tmp_path: Path) -> None:
    extraction = read(
        tmp_path,
        [
            ("Total HT", "", "", "4 638,79 EUR"),
            ("TVA 20 %", "", "", "927,76 EUR"),
            ("Total TTC", "", "", "5 566,55 EUR"),
        ],
    )
    assert amounts(extraction) == (Decimal("5566.55"), Decimal("927.76"))


def test_swiss_apostrophes(tmp_path: Path) -> None:
    extraction = read(
        tmp_path,
        [
            ("Total exkl. MWST", "", "", "CHF 1'000.00"),
            ("MWST 8.1 %", "", "", "CHF 81.00"),
            ("Total inkl. MWST", "", "", "CHF 1'081.00"),
        ],
    )
    assert amounts(extraction) == (Decimal("1081.00"), Decimal("81.00"))
    assert extraction.value("currency") == "CHF"


def test_split_taxes_on_one_row_add_up(tmp_path: Path) -> None:
    extraction = read(
        tmp_path,
        [
            ("Item", "Taxable Value", "CGST", "SGST"),
            ("Steel rack", "10,000.00", "900.00", "900.00"),
            ("", "", "Grand Total", "Rs. 11,800.00"),
        ],
    )
    assert amounts(extraction) == (Decimal("11800.00"), Decimal("1800.00"))
    assert extraction.value("currency") == "INR"
