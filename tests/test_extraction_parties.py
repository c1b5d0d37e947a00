"""Who sent the invoice: the seller's name, VAT id, IBAN and domain, never the buyer's."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.sandbox.documents.placed import Placed
from connectors.sandbox.documents.placed import lines_at
from connectors.sandbox.documents.placed import render_text
from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.types import Extraction


def read(tmp_path: Path, items: list[Placed]) -> Extraction:
    path = tmp_path / "parties.pdf"
    path.write_bytes(render_text([items]))
    return extract_document(path)


SELLERS = [
    pytest.param(
        [
            (40, 120, "Bianchi Costruzioni S.r.l.", 10, False),
            (40, 133, "Via Garibaldi 8", 10, False),
            (40, 146, "10121 Torino", 10, False),
            (350, 50, "Rossi Forniture S.r.l.", 13, True),
            (350, 65, "Via Roma 22 - 20121 Milano", 8, False),
            (350, 76, "P.IVA IT00743110157", 8, False),
            (350, 87, "info@rossiforniture.it", 8, False),
            (40, 200, "FATTURA N. 2024/118 del 14/03/2024", 12, True),
        ],
        {"supplier_name": "Rossi Forniture S.r.l.", "supplier_domain": "rossiforniture.it"},
        True,
        id="seller_on_the_right_buyer_on_the_left_without_headings",
    ),
    pytest.param(
        lines_at(
            [
                "Rechnung Nr. 5 vom 06.12.2018",
                "Verkäufer",
                ("Nummer:", "549910"),
                ("", "MVM Musterhafter"),
                ("Name:", "Versicherungsverein Musterstadt a.G."),
                ("Anschrift:", "Musterstr. 12"),
                "Käufer",
                ("Name:", "Max Mustermann GmbH"),
            ]
        ),
        {"supplier_name": "MVM Musterhafter Versicherungsverein Musterstadt a.G."},
        False,
        id="seller_block_with_a_name_field_wrapped_over_two_lines",
    ),
    pytest.param(
        [
            (40, 110, "QualityHosting AG - Uferweg 40-42 - D-63571 Gelnhausen", 6.5, False),
            (40, 130, "iViveLabs Ltd.", 10, False),
            (40, 143, "93B Sai Yu Chung", 10, False),
            (40, 220, "Rechnung", 14, True),
            (40, 240, "Rechnungsnr. 30064443", 9, False),
        ],
        {"supplier_name": "QualityHosting AG"},
        False,
        id="one_line_return_address_above_the_window",
    ),
    pytest.param(
        lines_at(
            [
                "INVOICE",
                ("Bill to:", "", "From:"),
                ("Taylor's Store", "", "Brightline Consulting Ltd"),
                ("triddel9@store-mail.com", "", "billing@brightline.co.uk"),
                ("VAT: FR19787878784", "", "VAT: GB980780684"),
                "Invoice number: 77",
            ]
        ),
        {
            "supplier_name": "Brightline Consulting Ltd",
            "supplier_domain": "brightline.co.uk",
            "supplier_vat_id": "GB980780684",
        },
        False,
        id="the_buyers_email_and_vat_id_are_skipped",
    ),
]


@pytest.mark.parametrize(("items", "expected", "trusted_name"), SELLERS)
def test_the_seller_is_read_never_the_buyer(
    tmp_path: Path, items: list[Placed], expected: dict[str, str], trusted_name: bool
) -> None:
    """``expected``: the supplier fields read; ``trusted_name``: the name is also trusted."""
    extraction = read(tmp_path, items)
    assert {name: extraction.value(name) for name in expected} == expected
    if trusted_name:
        assert extraction.fields["supplier_name"].confidence >= 0.85


def test_the_customers_iban_for_a_direct_debit_is_not_the_suppliers(tmp_path: Path) -> None:
    rows = [
        "Rechnung Nr. 12",
        "Der Betrag wird am 20.03.2014 von Ihrem Konto mit IBAN DE89 3704 0044 0532 0130 00",
        "abgebucht.",
    ]
    extraction = read(tmp_path, lines_at(rows))
    assert extraction.value("supplier_iban") is None


def test_a_labelled_iban_with_a_wrong_check_digit_is_kept_but_not_trusted(tmp_path: Path) -> None:
    rows = ["Rechnung Nr. 12", "Bankverbindung: IBAN DE12 1234 5678 9012 3456 78"]
    extraction = read(tmp_path, lines_at(rows))
    iban = extraction.fields["supplier_iban"]
    assert iban.value == "DE12123456789012345678"
    assert iban.confidence < 0.85
    rows = ["Rechnung Nr. 12", "IBAN DE89 3704 0044 0532 0130 00"]
    assert read(tmp_path, lines_at(rows)).fields["supplier_iban"].confidence >= 0.85
