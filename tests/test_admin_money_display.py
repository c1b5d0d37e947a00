"""Admin pages show amounts in the currency's ISO 4217 minor units, rates without trailing
zeros and JSON lists as lists: never the stored "4530.000" or '["…"]'."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_exchange_rate
from tests.factories import make_invoice
from tests.factories import make_receivable
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def _page(workspace: Workspace, url: str) -> str:
    user = make_user(workspace=workspace, role=Role.ADMIN)
    response = logged_in_client(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_receivable_page_shows_euro_amounts_with_two_decimals(workspace: Workspace) -> None:
    receivable = make_receivable(
        workspace, amount=Decimal("4530.000"), amount_paid=Decimal("2265.000"), currency="EUR"
    )
    page = _page(workspace, reverse("admin:reconciliation_receivable_change", args=[receivable.pk]))
    assert 'value="4530.00"' in page
    assert "2,265.00 EUR" in page
    assert "4530.000" not in page
    assert "2265.000" not in page


@pytest.mark.parametrize(("currency", "shown"), [("JPY", 'value="125000"'), ("KWD", "12.345")])
def test_receivable_amount_input_has_the_currency_minor_units(
    workspace: Workspace, currency: str, shown: str
) -> None:
    amount = Decimal("125000.000") if currency == "JPY" else Decimal("12.345")
    receivable = make_receivable(workspace, amount=amount, currency=currency)
    page = _page(workspace, reverse("admin:reconciliation_receivable_change", args=[receivable.pk]))
    assert shown in page
    assert 'value="125000.000"' not in page


def test_invoice_page_shows_rate_reasons_and_no_components_blob(workspace: Workspace) -> None:
    invoice = make_invoice(
        workspace,
        fx_rate=Decimal("1.0000000000"),
        home_currency="EUR",
        routing_reasons=["Below the auto-post threshold"],
        confidence_components={"cost": 12.5},
    )
    page = _page(workspace, reverse("admin:reconciliation_invoice_change", args=[invoice.pk]))
    assert '<div class="readonly">1</div>' in page
    assert "1.0000000000" not in page
    assert "<li>Below the auto-post threshold</li>" in page
    assert "[&quot;Below" not in page
    assert "Confidence components" not in page


def test_receivable_other_references_are_one_per_line(workspace: Workspace) -> None:
    receivable = make_receivable(workspace, other_references=["PO-7781", "Contrat 2026/14"])
    page = _page(workspace, reverse("admin:reconciliation_receivable_change", args=[receivable.pk]))
    assert ">\nPO-7781\nContrat 2026/14</textarea>" in page
    assert "[&quot;PO-7781" not in page


def test_exchange_rates_list_drops_trailing_zeros(workspace: Workspace) -> None:
    """As the README says: "1.0742", not the stored "1.0742000000"; ordered by the rate."""
    make_exchange_rate("EUR", "USD", "1.0742000000", date(2026, 11, 4))
    page = _page(workspace, reverse("admin:reconciliation_exchangerate_changelist"))
    assert '<td class="field-rate_value">1.0742</td>' in page
    assert "1.0742000000" not in page
    assert 'class="sortable column-rate_value' in page
