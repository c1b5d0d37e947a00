"""The supplier on layouts the demo never uses: the seller's block, wherever it stands, and
never the buyer's block, a fiscal representative, our own company, or a label."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from connectors.sandbox.documents import render_invoice
from connectors.sandbox.documents.placed import Placed
from connectors.sandbox.documents.placed import render_text
from reconciliation.extraction.blocks import Ourselves
from reconciliation.extraction.parties import buyer_lines
from reconciliation.extraction.parties import extract_parties
from reconciliation.extraction.parties import extract_supplier_name
from tests.documents import BUYER
from tests.documents import LANGUAGES
from tests.documents import SELLERS
from tests.documents import invoice_spec
from tests.documents import read
from tests.documents import read_invoice
from tests.documents import text_document

SUPPLIER_FIELDS = ("supplier_name", "supplier_vat_id", "supplier_iban", "supplier_domain")
REPRESENTATIVE = replace(
    BUYER, name="Représentation Fiscale Durand SAS", vat_id="FR83404833048", email=None
)


def supplier_of(language: str) -> dict[str, object]:
    seller = SELLERS[language]
    return {
        "supplier_name": seller.name,
        "supplier_vat_id": seller.vat_id,
        "supplier_iban": seller.iban,
        "supplier_domain": seller.domain,
    }


@pytest.mark.parametrize(("buyer_heading", "seller_heading"), [(True, True), (True, False)])
@pytest.mark.parametrize("language", LANGUAGES)
def test_buyer_block_at_the_top_left_and_seller_at_the_right_give_the_seller(
    tmp_path: Path, language: str, buyer_heading: bool, seller_heading: bool
) -> None:
    spec = invoice_spec(
        language, "buyer_first", buyer_heading=buyer_heading, seller_heading=seller_heading
    )
    extraction, _ = read_invoice(tmp_path, spec)
    assert {name: extraction.value(name) for name in SUPPLIER_FIELDS} == supplier_of(language)


@pytest.mark.parametrize(
    ("layout", "layout_fields"),
    [
        pytest.param(
            "buyer_first",
            {"buyer_heading": False, "seller_heading": False},
            id="a_bare_buyer_block_at_the_top_left_is_not_the_seller",
        ),
        pytest.param(
            "seller_footer",
            {"buyer_heading": False, "tax_representative": REPRESENTATIVE},
            id="seller_only_at_the_bottom_beside_its_fiscal_representative",
        ),
    ],
)
@pytest.mark.parametrize("language", ["en", "de", "nl", "es", "it"])
def test_the_seller_without_headings_is_told_from_the_other_parties(
    tmp_path: Path, language: str, layout: str, layout_fields: dict[str, object]
) -> None:
    spec = invoice_spec(language, layout, **layout_fields)
    extraction, _ = read_invoice(tmp_path, spec)
    assert {name: extraction.value(name) for name in SUPPLIER_FIELDS} == supplier_of(language)


@pytest.mark.parametrize("layout", ["party_columns", "bank_heading"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_seller_without_a_legal_form_is_named_by_its_block(
    tmp_path: Path, language: str, layout: str
) -> None:
    seller = SELLERS[language]
    bare = seller.name.rsplit(" ", 1)[0]
    spec = invoice_spec(language, layout, supplier=replace(seller, name=bare))
    extraction, _ = read_invoice(tmp_path, spec)
    assert extraction.value("supplier_name") == bare


def test_our_own_company_is_never_the_supplier(tmp_path: Path) -> None:
    # Same country, no headings, buyer first: only knowing who we are tells the blocks apart.
    seller = replace(SELLERS["fr"], name="Boulangerie Martin SARL")
    spec = invoice_spec(
        "fr", "buyer_first", supplier=seller, buyer_heading=False, seller_heading=False
    )
    doc = text_document(render_invoice(spec).content)
    ourselves = Ourselves.of(names=["ACME RETAIL S.A.S."], vat_ids=["FR 19 787878784"])
    found = extract_parties(doc, ourselves)
    assert {name: guess.value for name, guess in found.items()} == {
        "supplier_name": "Boulangerie Martin SARL",
        "supplier_vat_id": "FR60421938861",
        "supplier_iban": "FR7630006000011234567890189",
        "supplier_domain": "martin.fr",
    }


def test_our_name_alone_is_never_the_supplier(tmp_path: Path) -> None:
    items: list[Placed] = [
        (40, 60, "Acme Retail SAS", 16, True),
        (40, 76, "5 place Bellecour, 69002 Lyon", 9, False),
        (40, 130, "Facture n° F-77 du 02/05/2024", 12, True),
        (40, 200, "Émise par : Atelier Garnier", 9, False),
        (40, 212, "12 rue des Arts, 75003 Paris", 9, False),
    ]
    doc = text_document(render_text([items]))
    buyers = buyer_lines(doc)
    ourselves = Ourselves.of(names=["Acme Retail"])
    name = extract_supplier_name(doc, buyers, ourselves=ourselves)
    assert name is not None
    assert name.value == "Atelier Garnier"
    assert extract_supplier_name(doc, buyers) is not None


LABEL_LINES = [
    "BIC",
    "IBAN",
    "Bankverbindung",
    "Bankverbindung:",
    "Bank details",
    "Coordonnées bancaires",
    "Tax representative",
    "Fiscal representative",
    "Fiskalvertreter",
    "Représentant fiscal",
    "Rappresentante fiscale",
    "Payment by transfer",
    "Zahlbar sofort ohne Abzug",
    "Paiement par virement",
    "Pago por transferencia",
    "Pagamento con bonifico",
    "Käufer",
    "Rechnungsempfänger",
    "Facturé à",
    "Bill to",
    "Seller",
    "Lieferant",
    "Invoice date",
    "Page 1 of 2",
    "Total",
    "Geschäftsführer Max Mustermann",
    "Managing director Jane Doe",
    "Amtsgericht Köln HRB 12345",
    "RCS Lyon 812 345 672",
    "KvK 12345678",
]
NAME_LINES = [
    "Lieferant GmbH",
    "Au bon moulin",
    "Müller Haustechnik GmbH",
    "Amazon Web Services, Inc.",
    "De Vries Installatie B.V.",
    "Sammy Maystone",
    "Die Vordefinierte Firma",
    "Bank of Scotland plc",
    "Capital Printing Ltd",
]


@pytest.mark.parametrize("text", LABEL_LINES)
def test_a_label_heading_or_instruction_looks_like_a_label(text: str) -> None:
    from reconciliation.extraction.labels import looks_like_label

    assert looks_like_label(text) is True


@pytest.mark.parametrize("text", NAME_LINES)
def test_a_company_name_does_not_look_like_a_label(text: str) -> None:
    from reconciliation.extraction.labels import looks_like_label

    assert looks_like_label(text) is False


def test_a_label_line_is_never_the_supplier_name(tmp_path: Path) -> None:
    items: list[Placed] = [
        (40, 50, "BIC", 16, True),
        (40, 66, "Tax representative", 12, True),
        (40, 80, "Payment by transfer", 12, True),
        (330, 50, "INVOICE", 18, True),
        (330, 70, "Invoice number: 2024-118", 9, False),
        (330, 82, "Invoice date: 14/03/2024", 9, False),
        (40, 140, "Bill to:", 9, True),
        (40, 152, "Acme Retail SAS", 9, False),
        (40, 164, "5 place Bellecour, 69002 Lyon", 9, False),
        (40, 300, "Total due 1,200.00 EUR", 10, True),
        (40, 760, "Northgate Print", 8, True),
        (40, 770, "VAT number: GB980780684", 8, False),
        (40, 780, "IBAN: GB33 BUKB 2020 1555 5555 55", 8, False),
        (40, 790, "www.northgate-print.co.uk", 8, False),
    ]
    extraction = read(tmp_path, render_text([items]))
    assert extraction.value("supplier_name") == "Northgate Print"


def test_the_vat_id_in_the_block_of_the_iban_is_the_sellers(tmp_path: Path) -> None:
    # Buyer and seller both French, no headings: the IBAN to pay sits in the seller's block.
    spec = invoice_spec("fr", "party_columns", buyer_heading=False, seller_heading=False)
    extraction, _ = read_invoice(tmp_path, spec)
    assert {name: extraction.value(name) for name in SUPPLIER_FIELDS} == supplier_of("fr")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_bank_block_in_letterhead_type_is_not_the_supplier(tmp_path: Path, language: str) -> None:
    spec = invoice_spec(language, "bank_heading", bank_first=True, buyer_heading=False)
    extraction, _ = read_invoice(tmp_path, spec)
    assert {name: extraction.value(name) for name in SUPPLIER_FIELDS} == supplier_of(language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_seller_in_a_sidebar_with_labels_over_values(tmp_path: Path, language: str) -> None:
    # The buyer's VAT id is labelled on its own line; the seller's stands under its label in
    # a narrow column, with other lines of the page between them in reading order.
    spec = invoice_spec(language, "sidebar", buyer_heading=False)
    extraction, _ = read_invoice(tmp_path, spec)
    assert {name: extraction.value(name) for name in SUPPLIER_FIELDS} == supplier_of(language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_buyer_block_at_the_right_of_a_letterhead(tmp_path: Path, language: str) -> None:
    extraction, _ = read_invoice(tmp_path, invoice_spec(language, "buyer_right"))
    assert {name: extraction.value(name) for name in SUPPLIER_FIELDS} == supplier_of(language)
