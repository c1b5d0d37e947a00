"""Every list the tour opened fits a 1440 x 900 screen (Django's navigation sidebar is off
site-wide): no horizontal scrolling, the last column whole; the Matches list's Decide cell
shows both answers to a proposed double charge, its kind, status and agreement show whole, and
two debits of one supplier read apart on rows of one or two lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import DocumentKind
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_double_charge
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_receivable
from tests.factories import make_sync_run
from tests.factories import make_transaction
from tests.factories import make_vendor
from tests.plugins.browser import ROW_LINES
from tests.plugins.browser import assert_lists_fit
from tests.plugins.browser import list_overflow
from tests.plugins.browser import open_list

pytestmark = pytest.mark.browser

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


@pytest.fixture(autouse=True)
def _tour_lists(workspace: Workspace) -> None:
    """Every test here opens the lists as the tour filled them: a long name in each of them
    (vendor, invoices, bank lines, receivables, sync runs, decisions), and three repeats of a
    posted invoice held as possible double charges, each matched to a bank line."""
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


def test_every_list_fits_1440_pixels(live_server: LiveServer, admin_page: Page) -> None:
    assert_lists_fit(admin_page, live_server.url, LISTS)
    assert admin_page.query_selector("#nav-sidebar") is None


def test_the_decide_cell_shows_both_answers_to_a_double_charge(
    live_server: LiveServer, admin_page: Page
) -> None:
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


def test_the_matches_list_shows_kind_status_and_agreement_whole_at_1440_pixels(
    live_server: LiveServer, admin_page: Page
) -> None:
    # The longest words each column can hold: a refused double charge, a converted amount.
    Match.objects.update(amount_basis="converted")
    Match.objects.filter(kind=MatchKind.DOUBLE_CHARGE).update(status=MatchStatus.REFUSED)
    page = open_list(admin_page, f"{live_server.url}/admin/reconciliation/match/")
    cut = page.evaluate(
        "() => [...document.querySelectorAll("
        "'#result_list tbody td, #result_list tbody th, #result_list tbody .well-clip')]"
        ".filter(cell => cell.scrollWidth > cell.clientWidth + 1)"
        ".map(cell => cell.closest('td, th').className.split(' ')[0])"
    )
    # Only the long paperwork and bank line are cut, on one line, whole in their tooltips.
    assert sorted(set(cut)) == ["field-bank_line", "field-paperwork"]
    assert list_overflow(page) <= 0


def _paid_twice(workspace: Workspace) -> None:
    """A long-named confirmation proposed against two debits of one supplier, days apart."""
    name = "2026-11-confirmation-de-virement-papeterie-generale-grand-ouest-0001-copie.pdf"
    document = make_document(workspace, original_name=name, kind=DocumentKind.PAYMENT_CONFIRMATION)
    for day in (4, 18):
        debit = make_transaction(
            workspace,
            counterparty_name="Van Dijk Vertaalbureau en Consultancy B.V.",
            reference=f"SEPA 2026-0457 {day}",
            value_date=date(2026, 11, day),
        )
        make_match(workspace, document=document, transaction=debit)


def test_the_matches_list_tells_two_debits_apart_on_rows_of_one_or_two_lines(
    live_server: LiveServer, admin_page: Page, workspace: Workspace
) -> None:
    _paid_twice(workspace)
    Match.objects.update(amount_basis="converted")
    page = open_list(admin_page, f"{live_server.url}/admin/reconciliation/match/")

    lines = page.evaluate(ROW_LINES)
    cells = page.evaluate(
        "() => [...document.querySelectorAll('#result_list tbody tr')].map(row =>"
        " [...row.querySelectorAll('td, th')].map(cell =>"
        "  [cell.textContent.trim(), cell.querySelector('[title]')?.title]))"
    )
    columns = page.evaluate(
        "() => [...document.querySelectorAll('#result_list thead th')]"
        ".map(th => th.textContent.trim())"
    )

    assert max(lines) <= 2, lines
    assert list_overflow(page) <= 0
    # The debits of one supplier, told apart by their day; the supplier's name whole on hover.
    date_at, bank_at = columns.index("Date"), columns.index("Bank line")
    theirs = [row for row in cells if row[bank_at][0].startswith("Van Dijk")]
    assert sorted(row[date_at][0] for row in theirs) == ["18 Nov 2026", "4 Nov 2026"]
    assert {row[bank_at][1] for row in theirs} == {"Van Dijk Vertaalbureau en Consultancy B.V."}
    # A long file name is cut on one line, whole in its tooltip, never broken mid-word.
    named = page.evaluate(
        "() => [...document.querySelectorAll('#result_list th.field-paperwork')].map(cell => {"
        " const named = cell.querySelector('[title]'), clip = cell.querySelector('.well-clip');"
        " return [named.title, named.getClientRects().length,"
        "  clip.scrollWidth > clip.clientWidth]; })"
    )
    name = "2026-11-confirmation-de-virement-papeterie-generale-grand-ouest-0001-copie.pdf"
    assert [row for row in named if row[0] == name] == [[name, 1, True]] * 2
