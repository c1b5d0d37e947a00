"""Document kind per language: invoice, credit note, payment confirmation, wire notice, other."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.specimens import (
    InvoiceSpec,
    Party,
    PaymentSpec,
    lines_at,
    render_invoice,
    render_payment,
    render_text,
)

LANGUAGES = ["en", "fr", "de", "nl", "es", "it"]


def invoice_spec(language: str, kind: str) -> InvoiceSpec:
    return InvoiceSpec(
        seller=Party("Example Supplies GmbH", "Weg 1", "10115 Berlin", "DE136695976"),
        buyer=Party("Acme Retail SAS", "5 place Bellecour", "69002 Lyon"),
        number="A-100",
        issue_date=date(2024, 5, 2),
        due_date=None,
        lines=[("Item", Decimal(1), Decimal("100.00"), Decimal(20))],
        language=language,  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
def test_invoices_and_credit_notes(tmp_path: Path, language: str, kind: str) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(render_invoice(invoice_spec(language, kind)))
    extraction = extract_document(path)
    assert (extraction.kind, extraction.language) == (kind, language)
    assert extraction.kind_confidence >= 0.85


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["payment_confirmation", "wire_notice"])
def test_payment_documents(tmp_path: Path, language: str, kind: str) -> None:
    spec = PaymentSpec(
        amount=Decimal("1250.00"),
        execution_date=date(2024, 6, 3),
        beneficiary_name="Example Supplies GmbH",
        beneficiary_iban="DE89370400440532013000",
        reference="Invoice A-100",
        language=language,  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
    )
    path = tmp_path / "doc.pdf"
    path.write_bytes(render_payment(spec))
    extraction = extract_document(path)
    assert extraction.kind == kind
    assert extraction.kind_confidence >= 0.85


def test_a_letter_is_other(tmp_path: Path) -> None:
    path = tmp_path / "letter.pdf"
    rows = ["Dear customer,", "our offices will be closed from 24 to 26 December.", "Kind regards"]
    path.write_bytes(render_text([lines_at(rows)]))  # type: ignore[arg-type]
    extraction = extract_document(path)
    assert extraction.kind == "other"
    assert extraction.kind_confidence < 0.5


def test_a_letter_spaced_title_counts(tmp_path: Path) -> None:
    path = tmp_path / "spaced.pdf"
    path.write_bytes(
        render_text([lines_at([("Lieferant", "", "K O S T E N R E C H N U N G"), "Summe 10,00"])])
    )
    assert extract_document(path).kind == "invoice"


def test_embedded_xml_type_code_sets_the_kind(tmp_path: Path) -> None:
    fixture = (
        Path(__file__).parent
        / "fixtures/corpus/ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_BASIC_Einfach.pdf"
    )
    extraction = extract_document(fixture)
    assert (extraction.kind, extraction.kind_confidence) == ("invoice", 1.0)
