"""Amounts for people: the currency's ISO 4217 minor units and the reader's separators."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from reconciliation.models import Side
from reconciliation.models import Workspace
from reconciliation.money import format_money
from tests.factories import make_invoice
from tests.factories import make_receivable
from tests.factories import make_transaction


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (Decimal("-1283.440"), "EUR", "", "-1,283.44 EUR"),
        (Decimal("1283.445"), "EUR", "en", "1,283.44 EUR"),
        (Decimal("1234567.5"), "JPY", "en", "1,234,568 JPY"),
        (Decimal("12.345"), "KWD", "en", "12.345 KWD"),
        (Decimal("12"), "KWD", "de", "12,000 KWD"),
        (Decimal("1283.44"), "EUR", "de", "1.283,44 EUR"),
        (Decimal("1283.44"), "EUR", "fr", "1\u00a0283,44 EUR"),
        (Decimal("0.5"), "EUR", "en", "0.50 EUR"),
        (Decimal("-0.01"), "JPY", "en", "0 JPY"),  # rounded to nothing: no "-0"
        (Decimal("123456789.5"), "", "de-ch", "123\u00a0456\u00a0789,5"),
        (Decimal("1234567.891"), "EUR", "hi", "1234567.89 EUR"),  # its own grouping rule
    ],
)
def test_minor_units_and_separators(
    amount: Decimal, currency: str, locale: str, expected: str
) -> None:
    assert format_money(amount, currency, locale=locale) == expected


def test_no_amount_is_a_dash() -> None:
    assert format_money(None, "EUR") == "—"


@pytest.mark.django_db
def test_a_debit_prints_its_minor_units(workspace: Workspace) -> None:
    debit = make_transaction(
        workspace,
        side=Side.DEBIT,
        amount=Decimal("1283.440"),
        currency="EUR",
        counterparty_name="ACME",
    )
    debit.refresh_from_db()
    assert str(debit) == "−1,283.44 EUR · ACME"


@pytest.mark.django_db
def test_the_readers_language_picks_the_separators(
    workspace: Workspace, reviewer_client: Client
) -> None:
    make_receivable(workspace, reference="INV-1", amount=Decimal("1234.5"), currency="EUR")
    url = "/admin/reconciliation/receivable/"
    german = reviewer_client.get(url, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    assert "1.234,50 EUR" in german
    english = reviewer_client.get(url, HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert "1,234.50 EUR" in english


@pytest.mark.django_db
def test_the_invoice_page_shows_minor_units(workspace: Workspace, reviewer_client: Client) -> None:
    invoice = make_invoice(
        workspace,
        net_amount=Decimal("1070"),
        tax_amount=Decimal("213.44"),
        total_amount=Decimal("1283.440"),
        currency="EUR",
        converted_amount=Decimal("187000"),
        home_currency="JPY",
    )
    body = reviewer_client.get(f"/admin/reconciliation/invoice/{invoice.pk}/change/").content
    text = body.decode()
    for shown in ("1,070.00 EUR", "213.44 EUR", "1,283.44 EUR", "187,000 JPY"):
        assert shown in text
    assert "1283.440" not in text
