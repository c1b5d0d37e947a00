"""Codes finance people do not read: the exchange rate's source in words (linking the Qonto
payment it was seen on), the idempotency key only in a collapsed technical section, and a
match's amount basis by its label."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import get_args

import pytest
from django.urls import reverse

from reconciliation.admin.decision_display import AMOUNT_BASIS_LABELS
from reconciliation.admin.qonto_panel import fx_source
from reconciliation.matching.scoring import AmountBasis
from reconciliation.models import InvoiceStatus
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db
QONTO_ID = "01a06839-5b0f-4b43-9e0a-8a2f3c1d2e4f"


def test_fx_source_names_the_payment_it_was_seen_on(workspace: Workspace) -> None:
    payment = make_transaction(workspace, qonto_id=QONTO_ID, value_date=date(2026, 10, 12))
    invoice = make_invoice(workspace, fx_rate_source=f"Qonto transaction {QONTO_ID}")
    url = reverse("admin:reconciliation_transaction_change", args=[payment.pk])
    assert str(fx_source(invoice)) == (
        f'rate seen on <a href="{url}">your Qonto payment of 12 Oct</a>'
    )
    invoice.fx_rate_source = f"Qonto transaction {QONTO_ID} (inverted)"
    assert "your Qonto payment of 12 Oct" in str(fx_source(invoice))
    invoice.fx_rate_source = "Qonto transactions of 2026-10-12 (median of 3)"
    assert str(fx_source(invoice)) == "median rate of your 3 Qonto payments of 12 Oct 2026"
    invoice.fx_rate_source = "same currency"
    assert str(fx_source(invoice)) == "same currency"


def test_invoice_page_keeps_the_idempotency_key_in_a_collapsed_section(
    workspace: Workspace,
) -> None:
    invoice = make_invoice(
        workspace, status=InvoiceStatus.POSTED, fx_rate_source=f"Qonto transaction {QONTO_ID}"
    )
    client = logged_in_client(make_user(superuser=True))
    body = client.get(reverse("admin:reconciliation_invoice_change", args=[invoice.pk]))
    page = body.content.decode()
    technical = page.index("Technical details")
    assert page.index(invoice.idempotency_key) > technical
    assert page.count(invoice.idempotency_key) == 1
    assert "collapse" in page[technical - 300 : technical]
    assert f"Qonto transaction {QONTO_ID}" not in page
    assert "rate seen on one of your Qonto payments" in page


def test_matches_show_the_amount_basis_by_its_label(workspace: Workspace) -> None:
    assert sorted(AMOUNT_BASIS_LABELS) == sorted(get_args(AmountBasis))
    match = make_match(
        workspace,
        transaction=make_transaction(workspace),
        amount_basis="converted",
        matched_amount=Decimal("10.00"),
        idempotency_key="key-of-the-attachment",
    )
    client = logged_in_client(make_user(superuser=True))
    listing = client.get(reverse("admin:reconciliation_match_changelist")).content.decode()
    assert "Converted at the exchange rate" in listing
    page = client.get(reverse("admin:reconciliation_match_change", args=[match.pk]))
    body = page.content.decode()
    assert body.index("key-of-the-attachment") > body.index("Technical details")
