"""The vendor page and list show the ledger account the review screen fills in (the most used
on the vendor's approved invoices, the same rule), and the learned mapping by field labels."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reconciliation.models import InvoiceStatus
from reconciliation.models import Workspace
from reconciliation.vendors.enrichment import ledger_account_for
from tests.factories import make_invoice
from tests.factories import make_user
from tests.factories import make_vendor
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def test_vendor_list_and_page_show_the_account_from_history(workspace: Workspace) -> None:
    northwind = make_vendor(
        workspace,
        name="Northwind",
        learned_mapping={"supplier_domain": {"kind": "regex"}},
        mapping_stats={"tax_amount": {"tried": 2, "hits": 1}},
    )
    make_vendor(workspace, name="Default Co", ledger_account="623600")
    for _ in range(2):
        make_invoice(
            workspace, vendor=northwind, status=InvoiceStatus.POSTED, ledger_account="651100"
        )
    make_invoice(workspace, vendor=northwind, status=InvoiceStatus.POSTED, ledger_account="606000")
    client = logged_in_client(make_user(superuser=True))
    listing = client.get(reverse("admin:reconciliation_vendor_changelist")).content.decode()
    assert '651100 <span class="well-quiet">(from history)</span>' in listing
    assert "623600" in listing
    page = client.get(reverse("admin:reconciliation_vendor_change", args=[northwind.pk]))
    body = page.content.decode()
    account, _origin = ledger_account_for(northwind)
    assert account == "651100"
    assert "651100 — Most used account on 2 approved invoices of “Northwind”." in body
    assert "<td>Domain</td>" in body
    assert "<td>Tax</td>" in body
    assert "<td>supplier_domain</td>" not in body
    assert "<td>tax_amount</td>" not in body
