"""Document kind per language: invoice, credit note, payment confirmation, wire notice, other."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.sandbox.documents import render_invoice
from connectors.sandbox.documents.placed import Placed
from connectors.sandbox.documents.placed import lines_at
from connectors.sandbox.documents.placed import render_text
from reconciliation.extraction.engine import extract_document
from tests.documents import LANGUAGES
from tests.documents import invoice_spec
from tests.documents import read

# The title and the rows of a bank's payment document, per language and kind.
PAYMENT_TITLES = {
    "en": ("Payment confirmation", "Transfer confirmation"),
    "fr": ("Confirmation de paiement", "Avis de virement"),
    "de": ("Zahlungsbestätigung", "Überweisungsbestätigung"),
    "nl": ("Betalingsbevestiging", "Overboeking uitgevoerd"),
    "es": ("Confirmación de pago", "Orden de transferencia"),
    "it": ("Conferma di pagamento", "Contabile bonifico"),
}
ORDERING = {
    "en": "Ordering account",
    "fr": "Compte débité",
    "de": "Auftraggeber",
    "nl": "Opdrachtgever",
    "es": "Ordenante",
    "it": "Ordinante",
}
PAYMENT_ROWS = {
    "en": ("Beneficiary", "Beneficiary IBAN", "Amount", "Execution date", "Reference"),
    "fr": ("Bénéficiaire", "IBAN du bénéficiaire", "Montant", "Date d'exécution", "Référence"),
    "de": ("Empfänger", "Empfänger-IBAN", "Betrag", "Ausführungsdatum", "Verwendungszweck"),
    "nl": ("Begunstigde", "IBAN begunstigde", "Bedrag", "Uitvoeringsdatum", "Omschrijving"),
    "es": ("Beneficiario", "IBAN del beneficiario", "Importe", "Fecha de ejecución", "Concepto"),
    "it": ("Beneficiario", "IBAN beneficiario", "Importo", "Data esecuzione", "Causale"),
}
VALUES = (
    "Example Supplies GmbH",
    "DE89 3704 0044 0532 0130 00",
    "1,250.00 EUR",
    "03/06/2024",
    "Invoice A-100",
)


def payment_page(language: str, kind: str) -> list[Placed]:
    """A bank's page: its name, the title, the ordering account, then label and value."""
    title = PAYMENT_TITLES[language][kind == "wire_notice"]
    placed: list[Placed] = [
        (40, 40, "Example Bank - Online banking", 8, False),
        (40, 80, title, 16, True),
        (40, 130, f"{ORDERING[language]}:", 10, False),
        (200, 130, "Acme Trading SAS - FR76 3000 6000 0112 3456 7890 189", 10, False),
    ]
    for index, (label, value) in enumerate(zip(PAYMENT_ROWS[language], VALUES, strict=True)):
        placed.append((40, 148 + 18 * index, f"{label}:", 10, False))
        placed.append((200, 148 + 18 * index, value, 10, False))
    return placed


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
def test_invoices_and_credit_notes(tmp_path: Path, language: str, kind: str) -> None:
    spec = invoice_spec(language, is_credit_note=kind == "credit_note")
    extraction = read(tmp_path, render_invoice(spec))
    assert extraction.kind == kind
    assert extraction.kind_confidence >= 0.85


@pytest.mark.parametrize("language", LANGUAGES)
def test_invoice_language(tmp_path: Path, language: str) -> None:
    extraction = read(tmp_path, render_invoice(invoice_spec(language)))
    assert extraction.language == language


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["payment_confirmation", "wire_notice"])
def test_payment_documents(tmp_path: Path, language: str, kind: str) -> None:
    extraction = read(tmp_path, render_text([payment_page(language, kind)]))
    assert extraction.kind == kind
    assert extraction.kind_confidence >= 0.85


def test_a_letter_is_other(tmp_path: Path) -> None:
    rows = ["Dear customer,", "our offices will be closed from 24 to 26 December.", "Kind regards"]
    extraction = read(tmp_path, render_text([lines_at(rows)]))
    assert extraction.kind == "other"
    assert extraction.kind_confidence < 0.5


def test_a_letter_spaced_title_counts(tmp_path: Path) -> None:
    rows = [("Lieferant", "", "K O S T E N R E C H N U N G"), ("Summe 10,00",)]
    assert read(tmp_path, render_text([lines_at(rows)])).kind == "invoice"


def test_embedded_xml_type_code_sets_the_kind(tmp_path: Path) -> None:
    fixture = (
        Path(__file__).parent
        / "fixtures/corpus/ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_BASIC_Einfach.pdf"
    )
    extraction = extract_document(fixture)
    assert (extraction.kind, extraction.kind_confidence) == ("invoice", 1.0)
