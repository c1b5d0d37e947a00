"""Payment confirmations and wire notices: amount, currency, execution date, beneficiary name
and IBAN, and reference, in six languages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.sandbox.documents import render_payment_confirmation
from connectors.sandbox.documents import render_remittance_notice
from connectors.sandbox.documents.placed import lines_at
from connectors.sandbox.documents.placed import render_text
from reconciliation.extraction.types import PAYMENT_FIELDS
from tests.documents import LANGUAGES
from tests.documents import SELLERS
from tests.documents import payment_spec
from tests.documents import read
from tests.documents import remittance_spec
from tests.documents import truth_values

PAYMENT_KINDS = ("payment_confirmation", "wire_notice")


@pytest.mark.parametrize("date_style", ["numeric", "long"])
@pytest.mark.parametrize("layout", ["table", "letter"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_payment_confirmation_fields(
    tmp_path: Path, language: str, layout: str, date_style: str
) -> None:
    spec = payment_spec(language, layout=layout, date_style=date_style)
    document = render_payment_confirmation(spec)
    extraction = read(tmp_path, document)
    assert {name: extraction.value(name) for name in PAYMENT_FIELDS} == {
        "amount": Decimal("12480.50"),
        "currency": "EUR",
        "execution_date": date(2024, 6, 3),
        "beneficiary_name": "Müller Haustechnik GmbH",
        "beneficiary_iban": "DE89370400440532013000",
        "reference": "RE-2024-0815 / customer 4711",
    }
    assert extraction.kind in PAYMENT_KINDS


@pytest.mark.parametrize("language", LANGUAGES)
def test_remittance_notice_fields(tmp_path: Path, language: str) -> None:
    document = render_remittance_notice(remittance_spec(language))
    extraction = read(tmp_path, document)
    expected = truth_values(document)
    assert {name: extraction.value(name) for name in PAYMENT_FIELDS} == expected
    assert expected["beneficiary_iban"] == "FR7630006000011234567890189"
    assert extraction.kind == "wire_notice"


def test_the_ordering_account_is_not_the_beneficiary(tmp_path: Path) -> None:
    rows = [
        ("Transfer confirmation",),
        ("Ordering account", "FR76 3000 6000 0112 3456 7890 189"),
        ("Amount", "950.00 EUR"),
        ("Execution date", "2024-02-01"),
    ]
    extraction = read(tmp_path, render_text([lines_at(rows)]))
    assert extraction.kind == "wire_notice"
    assert extraction.value("beneficiary_iban") is None
    assert extraction.value("amount") == Decimal("950.00")
    assert extraction.value("execution_date") == date(2024, 2, 1)


def test_payment_fields_carry_evidence_and_calibrated_confidence(tmp_path: Path) -> None:
    spec = payment_spec(
        "it", beneficiary=SELLERS["it"], amount=Decimal("99.90"), reference="Fattura 2024/17"
    )
    extraction = read(tmp_path, render_payment_confirmation(spec))
    iban = extraction.fields["beneficiary_iban"]
    assert iban.evidence is not None
    assert iban.evidence.text == "IBAN beneficiario IT60 X054 2811 1010 0000 0123 456"
    assert iban.confidence >= 0.85
    assert iban.source == "text"


def test_a_heading_is_never_the_beneficiary(tmp_path: Path) -> None:
    rows = [
        ("Transfer confirmation",),
        ("Beneficiary", "Bank details"),
        ("Amount", "950.00 EUR"),
        ("Execution date", "2024-02-01"),
    ]
    extraction = read(tmp_path, render_text([lines_at(rows)]))
    assert extraction.kind == "wire_notice"
    assert extraction.value("beneficiary_name") is None
    assert extraction.value("amount") == Decimal("950.00")
