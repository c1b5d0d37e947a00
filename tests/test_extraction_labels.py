"""Invoice fields read through the labels of each language, in three layouts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.specimens import InvoiceSpec, Party, render_invoice
from reconciliation.extraction.types import INVOICE_FIELDS, Extraction

SELLERS = {
    "en": (
        "Brightline Consulting Ltd",
        "GB980780684",
        "GB33BUKB20201555555555",
        "brightline.co.uk",
        "GBP",
    ),
    "fr": (
        "Boulangerie Martin SARL",
        "FR60421938861",
        "FR7630006000011234567890189",
        "martin.fr",
        "EUR",
    ),
    "de": ("Müller Haustechnik GmbH", "DE136695976", "DE89370400440532013000", "mueller.de", "EUR"),
    "nl": (
        "De Vries Installatie B.V.",
        "NL815254295B01",
        "NL91ABNA0417164300",
        "devries.nl",
        "EUR",
    ),
    "es": ("Talleres Gómez S.L.", "ESA13585625", "ES9121000418450200051332", "talleres.es", "EUR"),
    "it": (
        "Rossi Forniture S.r.l.",
        "IT00743110157",
        "IT60X0542811101000000123456",
        "rossi.it",
        "EUR",
    ),
}
NUMBERS = {"en": "dot", "fr": "space", "de": "comma", "nl": "comma", "es": "comma", "it": "comma"}


def make_spec(language: str, layout: str, **overrides: object) -> InvoiceSpec:
    name, vat, iban, domain, currency = SELLERS[language]
    spec = InvoiceSpec(
        seller=Party(
            name, "Hauptweg 12", "10115 Stadt", vat, iban, f"billing@{domain}", f"www.{domain}"
        ),
        buyer=Party("Acme Retail SAS", "5 place Bellecour", "69002 Lyon", "FR19787878784"),
        number="INV-2024-0042",
        issue_date=date(2024, 3, 14),
        due_date=date(2024, 4, 13),
        lines=[
            ("Consulting services", Decimal(2), Decimal("1234.50"), Decimal(20)),
            ("Spare parts", Decimal(10), Decimal("12.99"), Decimal(10)),
        ],
        currency=currency,
        language=language,  # type: ignore[arg-type]
        layout=layout,  # type: ignore[arg-type]
        numbers=NUMBERS[language],  # type: ignore[arg-type]
    )
    for key, value in overrides.items():
        setattr(spec, key, value)
    return spec


def read(tmp_path: Path, spec: InvoiceSpec) -> Extraction:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(render_invoice(spec))
    return extract_document(path)


def values(extraction: Extraction) -> dict[str, object]:
    return {name: extraction.value(name) for name in INVOICE_FIELDS}


@pytest.mark.parametrize("layout", ["letterhead", "window", "grid"])
@pytest.mark.parametrize("language", ["en", "fr", "de", "nl", "es", "it"])
def test_all_fields_per_language_and_layout(tmp_path: Path, language: str, layout: str) -> None:
    name, vat, iban, domain, currency = SELLERS[language]
    extraction = read(tmp_path, make_spec(language, layout))
    assert values(extraction) == {
        "supplier_name": name,
        "supplier_vat_id": vat,
        "supplier_iban": iban,
        "supplier_domain": domain,
        "invoice_number": "INV-2024-0042",
        "issue_date": date(2024, 3, 14),
        "due_date": date(2024, 4, 13),
        "total_amount": Decimal("3105.69"),
        "tax_amount": Decimal("506.79"),
        "currency": currency,
    }
    assert extraction.kind == "invoice"
    assert extraction.language == language
    assert extraction.source == "text"


@pytest.mark.parametrize("language", ["en", "fr", "de", "nl", "es", "it"])
def test_month_names_per_language(tmp_path: Path, language: str) -> None:
    extraction = read(tmp_path, make_spec(language, "letterhead", dates="month_name"))
    assert (extraction.value("issue_date"), extraction.value("due_date")) == (
        date(2024, 3, 14),
        date(2024, 4, 13),
    )


def test_the_buyer_vat_id_is_not_the_supplier_one(tmp_path: Path) -> None:
    spec = make_spec("fr", "letterhead")
    spec.seller.vat_id = None
    extraction = read(tmp_path, spec)
    assert extraction.value("supplier_vat_id") is None


def test_the_buyer_name_is_not_the_supplier(tmp_path: Path) -> None:
    extraction = read(tmp_path, make_spec("de", "window"))
    assert extraction.value("supplier_name") == "Müller Haustechnik GmbH"
    assert extraction.fields["supplier_name"].evidence is not None
    assert extraction.fields["supplier_name"].evidence.page == 1


def test_every_field_has_evidence_on_the_page(tmp_path: Path) -> None:
    extraction = read(tmp_path, make_spec("en", "letterhead"))
    number = extraction.fields["invoice_number"]
    assert number.evidence is not None
    assert number.evidence.page == 1
    assert number.evidence.bbox is not None
    x0, top, x1, bottom = number.evidence.bbox
    words = [
        w.text
        for w in extraction.words
        if w.x0 >= x0 - 0.1 and w.x1 <= x1 + 0.1 and w.top >= top - 0.1 and w.bottom <= bottom + 0.1
    ]
    assert words == ["INV-2024-0042"]
    assert all(
        f.evidence is not None and f.evidence.bbox is not None for f in extraction.fields.values()
    )
