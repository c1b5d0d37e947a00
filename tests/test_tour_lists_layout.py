"""Every list the tour opened fits a 1440 x 900 screen (Django's navigation sidebar is off
site-wide): no horizontal scrolling, the last column whole, and the Matches list's Decide cell
shows both answers to a proposed double charge."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import InvoiceStatus
from reconciliation.models import Workspace
from tests.factories import make_double_charge
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_receivable
from tests.factories import make_sync_run
from tests.factories import make_transaction
from tests.factories import make_vendor
from tests.plugins.browser import assert_lists_fit
from tests.plugins.browser import open_list

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "Papeterie Générale du Grand Ouest et des Pays de Loire SAS (établissement secondaire)"
LISTS = [
    "invoice",
    "document",
    "transaction",
    "vendor",
    "receivable",
    "connection",
    "decision",
    "syncrun",
    "match",
]
#: How far the widest part of the page reaches past its box, and the last column past the list.


def _fill(workspace: Workspace) -> None:
    vendor = make_vendor(workspace, LONG, domain="papeterie-generale-grand-ouest.example.fr")
    settled = make_invoice(workspace, vendor=vendor, supplier_name=LONG, number="110/2026")
    settled.status = InvoiceStatus.POSTED
    settled.save()
    for index in range(3):
        repeat = make_invoice(
            workspace,
            vendor=vendor,
            supplier_name=LONG,
            number=f"FAC-2026-11-{index:06d}-GRAND-OUEST",
            total_amount=Decimal("1283440.50"),
        )
        transaction = make_transaction(
            workspace, counterparty_name=LONG, reference=f"SEPA {LONG} {index}"
        )
        make_double_charge(repeat, settled, hold_reason="Same number and amount as 110/2026")
        make_match(workspace, document=repeat.document, transaction=transaction)
        make_receivable(
            workspace, reference=f"INV-2026-{index:04d}-GRAND-OUEST", customer_name=LONG
        )
        make_sync_run(workspace, transaction.connection, error=LONG)
        Decision.record(
            workspace=workspace,
            action=DecisionAction.EDIT,
            actor=None,
            invoice=repeat,
            reason=f"Corrected the supplier name to {LONG}",
        )


def test_every_list_fits_1440_pixels(
    live_server: LiveServer, admin_page: Page, workspace: Workspace
) -> None:
    _fill(workspace)
    assert_lists_fit(admin_page, live_server.url, LISTS)
    assert admin_page.query_selector("#nav-sidebar") is None


def test_the_decide_cell_shows_both_answers_to_a_double_charge(
    live_server: LiveServer, admin_page: Page, workspace: Workspace
) -> None:
    _fill(workspace)
    page = open_list(
        admin_page, f"{live_server.url}/admin/reconciliation/match/?kind__exact=double_charge"
    )
    visible = page.evaluate(
        "() => [...document.querySelectorAll('#result_list td.field-decide')].map(cell => {"
        " const box = cell.getBoundingClientRect();"
        " return [...cell.querySelectorAll('a, button')].filter(control => {"
        "  const r = control.getBoundingClientRect();"
        "  return r.width > 0 && r.left >= box.left && r.right <= box.right + 0.5; })"
        " .map(control => control.textContent.trim()); })"
    )
    assert visible == [["Refuse", "Not a duplicate"]] * 3
