"""Test documents drawn by the project's one generator (connectors/sandbox/documents): a
fixed seller per language, our company as the buyer, and a helper that reads a rendered
document with the engine."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.sandbox.documents import InvoiceSpec
from connectors.sandbox.documents import LineItem
from connectors.sandbox.documents import Party
from connectors.sandbox.documents import PaymentConfirmationSpec
from connectors.sandbox.documents import RemittanceNoticeSpec
from connectors.sandbox.documents import RenderedDocument
from connectors.sandbox.documents import render_invoice
from reconciliation.extraction.document import Document
from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.engine import read_pages
from reconciliation.extraction.types import Extraction

LANGUAGES = ("en", "fr", "de", "nl", "es", "it")

#: A fixed seller per language (tests/fixtures/sellers.csv), with its VAT id, bank details and
#: mail domain.
SELLERS: dict[str, Party] = {
    row.pop("language"): Party(**row)
    for row in csv.DictReader(
        (Path(__file__).resolve().parent / "fixtures" / "sellers.csv")
        .read_text(encoding="utf-8")
        .splitlines()
    )
}

# Line descriptions in the invoice's language, so the page reads as one language throughout.
ITEMS = {
    "en": ("Consulting services", "Spare parts"),
    "fr": ("Prestation de conseil", "Pièces détachées"),
    "de": ("Beratungsleistung", "Ersatzteile"),
    "nl": ("Adviesdiensten", "Reserveonderdelen"),
    "es": ("Servicios de consultoría", "Piezas de repuesto"),
    "it": ("Servizi di consulenza", "Pezzi di ricambio"),
}
CURRENCIES = {"en": "GBP", "fr": "EUR", "de": "EUR", "nl": "EUR", "es": "EUR", "it": "EUR"}
#: Our own company: every test invoice is addressed to it.
BUYER = Party(
    "Acme Retail SAS", "5 place Bellecour", "69002", "Lyon", "FR",
    vat_id="FR19787878784", domain="acme-retail.fr", email="compta@acme-retail.fr",
)  # fmt: skip
#: The demo data's pair: a print shop in Cologne (the German seller's bank details) billing a
#: Paris studio.
ALBRECHT = replace(
    SELLERS["de"], name="Druckerei Albrecht GmbH", street="Schillerstraße 62", postcode="50667",
    city="Köln", domain="druckerei-albrecht.de", email="rechnung@druckerei-albrecht.de",
)  # fmt: skip
LUMEN = Party(
    "Atelier Lumen SAS", "42 rue de Paradis", "75010", "Paris", "FR", vat_id="FR22391390994"
)


def invoice_spec(language: str, layout: str = "classic", **changes: Any) -> InvoiceSpec:
    """An invoice of two lines (3,105.69 with 506.79 VAT) from the language's seller."""
    spec = InvoiceSpec(
        supplier=SELLERS[language],
        buyer=BUYER,
        invoice_number="INV-2024-0042",
        issue_date=date(2024, 3, 14),
        due_date=date(2024, 4, 13),
        currency=CURRENCIES[language],
        lines=(
            LineItem(ITEMS[language][0], Decimal(2), Decimal("1234.50"), Decimal(20)),
            LineItem(ITEMS[language][1], Decimal(10), Decimal("12.99"), Decimal(10)),
        ),
        language=language,
        layout=layout,  # type: ignore[arg-type]
    )
    return replace(spec, **changes)


def albrecht_invoice(lines: tuple[LineItem, ...], **changes: Any) -> InvoiceSpec:
    """Druckerei Albrecht's invoice RE-2026-0815 of ``lines`` to Atelier Lumen, in German,
    issued on 5 March 2026 and due on 4 April 2026."""
    spec = InvoiceSpec(
        supplier=ALBRECHT,
        buyer=LUMEN,
        invoice_number="RE-2026-0815",
        issue_date=date(2026, 3, 5),
        due_date=date(2026, 4, 4),
        currency="EUR",
        lines=lines,
        language="de",
    )
    return replace(spec, **changes)


def payment_spec(language: str, **changes: Any) -> PaymentConfirmationSpec:
    spec = PaymentConfirmationSpec(
        payer=BUYER,
        beneficiary=SELLERS["de"],
        amount=Decimal("12480.50"),
        currency="EUR",
        execution_date=date(2024, 6, 3),
        reference="RE-2024-0815 / customer 4711",
        transfer_id="TX-88412",
        language=language,
    )
    return replace(spec, **changes)


def remittance_spec(language: str, **changes: Any) -> RemittanceNoticeSpec:
    spec = RemittanceNoticeSpec(
        payer=SELLERS["de"],
        beneficiary=replace(BUYER, iban="FR7630006000011234567890189"),
        amount=Decimal("12480.50"),
        currency="EUR",
        execution_date=date(2024, 6, 3),
        reference="RE-2024-0815 / customer 4711",
        language=language,
    )
    return replace(spec, **changes)


def read(tmp_path: Path, document: RenderedDocument | bytes, **options: Any) -> Extraction:
    """The engine's reading of a rendered document (or of raw PDF bytes)."""
    path = tmp_path / "document.pdf"
    path.write_bytes(document if isinstance(document, bytes) else document.content)
    return extract_document(path, **options)


def read_invoice(tmp_path: Path, spec: InvoiceSpec) -> tuple[Extraction, RenderedDocument]:
    document = render_invoice(spec)
    return read(tmp_path, document), document


def truth_values(document: RenderedDocument) -> dict[str, object]:
    """The ground truth with the engine's types: dates and amounts parsed."""
    values: dict[str, object] = {}
    for name, value in document.truth.items():
        if value is None:
            values[name] = None
        elif "date" in name:
            values[name] = date.fromisoformat(value)
        elif name in ("total_amount", "tax_amount", "amount"):
            values[name] = Decimal(value)
        else:
            values[name] = value
    return values


def text_document(content: bytes) -> Document:
    """The engine's view of a born-digital PDF's text layer, for testing one extractor with
    arguments the engine does not pass (our own company)."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(content)) as pdf:
        pages, _ = read_pages(pdf, max_pages=50)
    return Document(pages)
