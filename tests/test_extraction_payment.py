"""Payment confirmations and wire notices: amount, currency, execution date, beneficiary name
and IBAN, and reference, in six languages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.specimens import PaymentSpec, lines_at, render_payment, render_text
from reconciliation.extraction.types import PAYMENT_FIELDS, Extraction

NUMBERS = {"en": "dot", "fr": "space", "de": "comma", "nl": "comma", "es": "comma", "it": "comma"}


def read(tmp_path: Path, spec: PaymentSpec) -> Extraction:
    path = tmp_path / "payment.pdf"
    path.write_bytes(render_payment(spec))
    return extract_document(path)


@pytest.mark.parametrize("dates", ["numeric", "month_name"])
@pytest.mark.parametrize("kind", ["payment_confirmation", "wire_notice"])
@pytest.mark.parametrize("language", ["en", "fr", "de", "nl", "es", "it"])
def test_payment_fields(tmp_path: Path, language: str, kind: str, dates: str) -> None:
    spec = PaymentSpec(
        amount=Decimal("12480.50"),
        execution_date=date(2024, 6, 3),
        beneficiary_name="Müller Haustechnik GmbH",
        beneficiary_iban="DE89370400440532013000",
        reference="RE-2024-0815 / customer 4711",
        language=language,  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
        numbers=NUMBERS[language],  # type: ignore[arg-type]
        dates=dates,  # type: ignore[arg-type]
    )
    extraction = read(tmp_path, spec)
    assert {name: extraction.value(name) for name in PAYMENT_FIELDS} == {
        "amount": Decimal("12480.50"),
        "currency": "EUR",
        "execution_date": date(2024, 6, 3),
        "beneficiary_name": "Müller Haustechnik GmbH",
        "beneficiary_iban": "DE89370400440532013000",
        "reference": "RE-2024-0815 / customer 4711",
    }
    assert extraction.kind == kind


def test_the_ordering_account_is_not_the_beneficiary(tmp_path: Path) -> None:
    rows = [
        ("Transfer confirmation",),
        ("Ordering account", "FR76 3000 6000 0112 3456 7890 189"),
        ("Amount", "950.00 EUR"),
        ("Execution date", "2024-02-01"),
    ]
    path = tmp_path / "wire.pdf"
    path.write_bytes(render_text([lines_at(rows)]))  # type: ignore[arg-type]
    extraction = extract_document(path)
    assert extraction.kind == "wire_notice"
    assert extraction.value("beneficiary_iban") is None
    assert extraction.value("amount") == Decimal("950.00")
    assert extraction.value("execution_date") == date(2024, 2, 1)


def test_payment_fields_carry_evidence_and_calibrated_confidence(tmp_path: Path) -> None:
    spec = PaymentSpec(
        amount=Decimal("99.90"),
        execution_date=date(2024, 1, 15),
        beneficiary_name="Rossi Forniture S.r.l.",
        beneficiary_iban="IT60X0542811101000000123456",
        reference="Fattura 2024/17",
        language="it",
        kind="wire_notice",
        numbers="comma",
    )
    extraction = read(tmp_path, spec)
    iban = extraction.fields["beneficiary_iban"]
    assert iban.evidence is not None
    assert iban.evidence.text == "IBAN beneficiario: IT60 X054 2811 1010 0000 0123 456"
    assert iban.confidence >= 0.85
    assert iban.source == "text"
