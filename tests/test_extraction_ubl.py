"""UBL 2.1 invoices and credit notes (XRechnung UBL) embedded in a PDF read like CII: exact
values from the XML, the document's kind from its root and type code."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfWriter

from connectors.sandbox.documents import render_invoice
from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.ubl import parse_ubl
from tests.documents import invoice_spec

UBL = Path(__file__).resolve().parent / "fixtures" / "ubl"
# After the OASIS UBL 2.1 example invoice, with XRechnung's customization id.
UBL_INVOICE = (UBL / "xrechnung-invoice.xml").read_text(encoding="utf-8")
# UBL 2.1 credit note: no DueDate at the root (the payment means carry it), CreditNoteLine.
UBL_CREDIT_NOTE = (UBL / "credit-note.xml").read_text(encoding="utf-8")


def _pdf_with(tmp_path: Path, name: str, xml: str, *, language: str = "de") -> Path:
    spec = invoice_spec(language, invoice_number="PRINTED-1", due_date=None)
    writer = PdfWriter(clone_from=io.BytesIO(render_invoice(spec).content))
    writer.add_attachment(name, xml.encode())
    path = tmp_path / "ubl.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def _xml_fields(path: Path) -> tuple[str, str, dict[str, object]]:
    extraction = extract_document(path)
    values: dict[str, object] = {
        n: f.value for n, f in extraction.fields.items() if f.source == "xml"
    }
    assert {f.confidence for f in extraction.fields.values() if f.source == "xml"} == {1.0}
    return extraction.kind, extraction.source, values


@pytest.mark.parametrize(
    ("name", "xml", "kind", "values"),
    [
        pytest.param(
            "xrechnung.xml",
            UBL_INVOICE,
            "invoice",
            {
                "supplier_name": "Kontor Nord Handels GmbH",
                "invoice_number": "RE-2024-0815",
                "issue_date": date(2024, 5, 2),
                "due_date": date(2024, 6, 1),
                "total_amount": Decimal("1190.00"),
                "tax_amount": Decimal("190.00"),
                "net_amount": Decimal("1000.00"),
                "currency": "EUR",
                "supplier_vat_id": "DE123456789",
                "supplier_iban": "DE89370400440532013000",
                "supplier_domain": "kontor-nord.de",
            },
            id="invoice_reads_exact_values",
        ),
        pytest.param(
            "invoice.xml",
            UBL_CREDIT_NOTE,
            "credit_note",
            {
                "supplier_name": "Alpenlicht AG",
                "invoice_number": "GS-77",
                "issue_date": date(2024, 5, 20),
                "due_date": date(2024, 6, 19),
                "total_amount": Decimal("216.20"),
                "tax_amount": Decimal("16.20"),
                "net_amount": Decimal("200.00"),
                "currency": "CHF",
                "supplier_vat_id": "CHE-123.456.788MWST",
                "supplier_iban": "CH9300762011623852957",
                "supplier_domain": "alpenlicht.ch",
            },
            id="credit_note_is_a_credit_note",
        ),
    ],
)
def test_embedded_ubl_reads_exact_values_and_its_kind(
    tmp_path: Path, name: str, xml: str, kind: str, values: dict[str, object]
) -> None:
    path = _pdf_with(tmp_path, name, xml)

    assert _xml_fields(path) == (kind, "xml", values)
    assert extract_document(path, use_xml=False).source == "text"


def test_a_credit_note_without_type_code_and_an_empty_ubl() -> None:
    bare = UBL_CREDIT_NOTE.replace("<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>", "")
    parsed = parse_ubl(bare.encode())
    assert parsed is not None
    assert parsed.type_code == "381"
    empty = b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'
    assert parse_ubl(empty) is None
    assert parse_ubl(b"<Order/>") is None
    assert parse_ubl(b"not xml") is None
