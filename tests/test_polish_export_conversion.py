"""The invoice export's converted amount of a foreign-currency invoice whose conversion is not
stored yet (it is stored when the invoice is created and when it is posted): the one FX rule's
(an ExchangeRate row first, else a rate the workspace's own Qonto transactions show), blank
only when no rate is known, and never written back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from reconciliation.models import Invoice
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_exchange_rate
from tests.factories import make_invoice
from tests.factories import make_usd_payment
from tests.factories import make_user
from tests.helpers import exported_rows
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db

COLUMNS = ("Converted amount", "Home currency", "FX rate", "FX rate date")


@pytest.fixture
def client(workspace: Workspace) -> Client:
    return logged_in_client(make_user("audrey", workspace=workspace, role=Role.AUDITOR))


def exported(client: Client) -> dict[str, tuple[str, ...]]:
    rows = exported_rows(client, "invoice")
    return {row["Number"]: tuple(row[c] for c in COLUMNS) for row in rows}


def usd_invoice(workspace: Workspace, number: str) -> Invoice:
    """A USD invoice read before any rate was known: no conversion stored."""
    return make_invoice(
        workspace,
        number=number,
        currency="USD",
        total_amount=Decimal("196.000"),
        issue_date=date(2026, 11, 2),
        home_currency="EUR",
        fx_rate_source="No rate known for USD→EUR within 7 days of 2026-11-02",
    )


def test_a_rate_from_the_workspaces_qonto_payment_fills_the_column(
    workspace: Workspace, client: Client
) -> None:
    invoice = usd_invoice(workspace, "USD-1")
    # Paid from the EUR account: 180.32 EUR for 196.00 USD, three days after the issue date.
    make_usd_payment(workspace, "180.320", "196.000", date(2026, 11, 5), qonto_id="tx-usd")

    assert exported(client)["USD-1"] == (
        "180.32",
        "EUR",
        "0.9200000000",
        "2026-11-05",
    )
    invoice.refresh_from_db()
    assert invoice.converted_amount is None  # the export writes nothing back


def test_an_exchange_rate_row_comes_first(workspace: Workspace, client: Client) -> None:
    usd_invoice(workspace, "USD-1")
    make_exchange_rate("USD", "EUR", "0.9000000000", date(2026, 11, 2))
    make_usd_payment(workspace, "180.320", "196.000", date(2026, 11, 2))

    assert exported(client)["USD-1"][:2] == ("176.40", "EUR")


def test_blank_when_no_rate_is_known(workspace: Workspace, client: Client) -> None:
    usd_invoice(workspace, "USD-1")
    make_invoice(
        workspace,
        number="EUR-1",
        converted_amount=Decimal("119.000"),
        home_currency="EUR",
        fx_rate=Decimal(1),
        fx_rate_date=date(2026, 11, 2),
        fx_rate_source="same currency",
    )

    found = exported(client)

    assert found["USD-1"] == ("", "EUR", "", "")
    assert found["EUR-1"] == ("119.00", "EUR", "1", "2026-11-02")
