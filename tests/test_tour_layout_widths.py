"""Layout found by the new-user tour at 1280 x 800 and 1440 x 900: the review queue fits both
screens (its last column, Waiting, whole) and gives its Vendor column the room the others leave;
the Matches list cuts a paperwork label only when it is longer than its column can be; the
Matches, Sync runs and Vendors lists fit 1280 px (their words wrap rather than scroll sideways);
the dashboard's connections card takes a row of its own, so no short card stands beside it over
an empty space."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from reconciliation.models import Connection
from reconciliation.models import InvoiceStatus
from reconciliation.models import MatchKind
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import SyncKind
from reconciliation.models import SyncStatus
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace
from reconciliation.models.audit import SyncTrigger
from tests.factories import CONFIRMATION_NAMES
from tests.factories import fill_the_review_queue
from tests.factories import make_connection
from tests.factories import make_document
from tests.factories import make_double_payment
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_sync_run
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_vendor
from tests.factories import two_payment_confirmations
from tests.plugins.browser import list_overflow
from tests.plugins.browser import open_list
from tests.plugins.browser import signed_in_page
from tests.test_tour_matches_rows import MATCHES

pytestmark = pytest.mark.browser

#: Each list cell's text and whether its clip is cut (its text wider than its box).
CLIPS = (
    "selector => [...document.querySelectorAll(selector)].map(cell => {"
    " const clip = cell.querySelector('.well-clip');"
    " return [cell.querySelector('[title]').title, clip.scrollWidth > clip.clientWidth + 0.5]; })"
)


#: The results table's width and its box's: the list scrolls sideways when the first is wider.
WIDTHS = (
    "() => { const table = document.querySelector('#result_list');"
    " return [table.scrollWidth, table.parentElement.clientWidth]; }"
)


def _page(browser: Browser, live_server: LiveServer, workspace: Workspace, width: int) -> Page:
    user = make_user("rita", workspace=workspace, role=Role.ADMIN)
    return signed_in_page(browser, live_server.url, user, width=width, height=800)


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_queue_fits_the_screen_with_its_last_column_whole(
    live_server: LiveServer, browser: Browser, workspace: Workspace, width: int
) -> None:
    """At 1280 px the list was 993 px in a 970 px box: "Waiting" read "WAITIN"."""
    fill_the_review_queue(workspace)
    page = open_list(
        _page(browser, live_server, workspace, width), f"{live_server.url}/admin/review/"
    )
    try:
        overflow = list_overflow(page)
        waits = page.evaluate(
            "() => [...document.querySelectorAll('#result_list td.field-age')]"
            ".map(cell => cell.scrollWidth <= cell.clientWidth ? cell.textContent : '')"
        )
    finally:
        page.context.close()
    assert overflow <= 0
    assert waits == ["< 1 h"] * 8


def test_the_queue_s_vendor_column_takes_the_room_left_at_1440_pixels(
    live_server: LiveServer, browser: Browser, workspace: Workspace
) -> None:
    """A vendor in training read "Northwind An…" in a 13ch column with room to spare."""
    vendor = make_vendor(
        workspace, "Northwind Analytics Inc.", status=VendorStatus.ACTIVE, documents_reviewed=4
    )
    make_invoice(
        workspace,
        document=make_document(workspace, original_name="Invoice_INV-004739.pdf"),
        vendor=vendor,
        supplier_name=vendor.name,
        number="INV-004739",
        status=InvoiceStatus.NEEDS_REVIEW,
    )
    page = open_list(
        _page(browser, live_server, workspace, 1440), f"{live_server.url}/admin/review/"
    )
    try:
        vendors = page.evaluate(CLIPS, "#result_list td.field-vendor_name")
        overflow = list_overflow(page)
    finally:
        page.context.close()
    assert vendors == [["Northwind Analytics Inc. (training 4/10)", False]]
    assert overflow <= 0


def test_the_matches_list_cuts_a_label_only_when_it_is_too_long(
    live_server: LiveServer, browser: Browser, workspace: Workspace
) -> None:
    """ "Invoice 2026-0457 paid twice" (192 px) and "Facture_NH-2026-05187.pdf" (183 px) were
    cut in their middle by an 11rem column; a 50-character file name still is, its end kept."""
    make_double_payment(
        workspace,
        "2026-0457",
        days=(date(2026, 11, 15), date(2026, 11, 19)),
        total_amount=Decimal("985.00"),
    )
    for name in ("Facture_NH-2026-05187.pdf", CONFIRMATION_NAMES[0]):
        make_match(
            workspace,
            document=make_document(workspace, original_name=name),
            transaction=make_transaction(workspace, value_date=date(2026, 11, 11)),
        )
    page = open_list(_page(browser, live_server, workspace, 1440), f"{live_server.url}{MATCHES}")
    try:
        cut = dict(page.evaluate(CLIPS, "#result_list th.field-paperwork"))
        overflow = list_overflow(page)
    finally:
        page.context.close()
    expected = {
        "Invoice 2026-0457 paid twice": False,
        "Facture_NH-2026-05187.pdf": False,
        CONFIRMATION_NAMES[0]: True,
    }
    assert len(cut) == 4  # and the double payment's first debit, its invoice's document
    assert {label: cut[label] for label in expected} == expected, cut
    assert overflow <= 0


def _widths_at_1280(
    browser: Browser, live_server: LiveServer, workspace: Workspace, path: str
) -> tuple[int, int]:
    """The list at ``path`` on a 1280 x 800 screen: its table's width and its box's."""
    page = open_list(_page(browser, live_server, workspace, 1280), f"{live_server.url}{path}")
    try:
        table, box = page.evaluate(WIDTHS)
    finally:
        page.context.close()
    return table, box


def test_the_matches_list_fits_1280_pixels(
    live_server: LiveServer, browser: Browser, workspace: Workspace
) -> None:
    """The demo's matches were 1046 px in a 970 px box: the list scrolled sideways."""
    make_double_payment(
        workspace,
        "2026-0457",
        days=(date(2026, 11, 15), date(2026, 11, 19)),
        total_amount=Decimal("985.00"),
    )
    two_payment_confirmations(workspace)
    for name, bank_name in (
        ("Facture_NH-2026-05187.pdf", "Nuage Hébergement SAS"),
        ("Invoice_INV-004741.pdf", "Northwind Analytics Inc."),
        ("Factuur_2026-0471.pdf", "Van Dijk Vertaalbureau B.V."),
    ):
        make_match(
            workspace,
            kind=MatchKind.INVOICE_DEBIT,
            document=make_document(workspace, original_name=name),
            transaction=make_transaction(
                workspace, counterparty_name=bank_name, amount=Decimal("4293.45")
            ),
        )
    table, box = _widths_at_1280(browser, live_server, workspace, MATCHES)
    assert table <= box, (table, box)


def test_the_sync_runs_list_fits_1280_pixels(
    live_server: LiveServer, browser: Browser, workspace: Workspace
) -> None:
    """The demo's runs were 1030 px in a 970 px box, 1169 px with a failed run and its error."""
    folder = make_connection(
        workspace, Provider.DROPBOX, account_label="Camille Martin", watched_folder="/Invoices"
    )
    bank = make_connection(workspace, Provider.QONTO, account_label="Atelier Lumen SAS")
    runs: list[tuple[Connection | None, dict[str, Any]]] = [
        (None, {"kind": SyncKind.MATCHING, "items_seen": 66, "items_changed": 27}),
        (bank, {"kind": SyncKind.TRANSACTIONS, "items_seen": 43, "items_changed": 43}),
        (bank, {"kind": SyncKind.POSTING, "items_seen": 8, "items_changed": 8}),
        (folder, {"trigger": SyncTrigger.SCHEDULE, "files_seen": 25, "files_new": 25}),
        (
            folder,
            {
                "trigger": SyncTrigger.MANUAL,
                "status": SyncStatus.PARTIAL,
                "files_seen": 12,
                "files_new": 10,
                "files_failed": 2,
                "error": "2 files could not be read: Rechnung_RE-2026-26100.pdf is not a PDF "
                "pdfium can open (Data format error).",
            },
        ),
        (
            bank,
            {
                "kind": SyncKind.TRANSACTIONS,
                "trigger": SyncTrigger.SCHEDULE,
                "status": SyncStatus.FAILED,
                "error": "Qonto answered 503 Service Unavailable; the sync is tried again in "
                "5 minutes.",
            },
        ),
    ]
    for connection, fields in runs:
        fields.setdefault("trigger", SyncTrigger.WINDOW)
        fields.setdefault("status", SyncStatus.SUCCEEDED)
        make_sync_run(workspace, connection, **fields)
    path = "/admin/reconciliation/syncrun/"
    table, box = _widths_at_1280(browser, live_server, workspace, path)
    assert table <= box, (table, box)


#: The demo's vendors: new ones to review, active ones whose ledger account comes from history.
VENDORS = (
    ("Brightline Events Ltd", "GB664083094", "brightline-events.co.uk", 0),
    ("Hotel Spreeblick GmbH", "DE419487573", "hotel-spreeblick.de", 0),
    ("Northwind Analytics Inc.", "", "northwind-analytics.com", 4),
    ("Van Dijk Vertaalbureau B.V.", "NL899161728B01", "vandijk-vertalingen.nl", 10),
)


def test_the_vendors_list_fits_1280_pixels(
    live_server: LiveServer, browser: Browser, workspace: Workspace
) -> None:
    """The demo's vendors were 998 px in a 970 px box ("Documents seen" cut to "DOCUME"):
    "New — needs review" and "651100 (from history)" on one line each."""
    for name, vat_id, domain, reviewed in VENDORS:
        vendor = make_vendor(
            workspace,
            name,
            vat_id=vat_id,
            domain=domain,
            status=VendorStatus.ACTIVE if reviewed else VendorStatus.NEEDS_REVIEW,
            documents_reviewed=reviewed,
            mapping_stats={"total": {"tried": 130, "hits": 130}},
        )
        if reviewed:
            make_invoice(
                workspace, vendor=vendor, status=InvoiceStatus.APPROVED, ledger_account="651100"
            )
    path = "/admin/reconciliation/vendor/"
    table, box = _widths_at_1280(browser, live_server, workspace, path)
    assert table <= box, (table, box)


def test_the_dashboard_s_connections_card_has_a_row_of_its_own_at_1280_pixels(
    live_server: LiveServer, browser: Browser, workspace: Workspace
) -> None:
    """ "nothing stuck" wrapped beside the tall connections card, over 176 px of nothing."""
    for provider in (Provider.DROPBOX, Provider.APIDECK, Provider.QONTO):
        make_connection(workspace, provider, account_label="Atelier Lumen SAS, main account")
    page = _page(browser, live_server, workspace, 1280)
    try:
        page.goto(f"{live_server.url}/admin/")
        page.wait_for_selector(".well-tiles")
        boxes = page.evaluate(
            "() => [...document.querySelectorAll('.well-tiles > .well-tile')].map(tile => {"
            " const box = tile.getBoundingClientRect();"
            " return {top: box.top, bottom: box.bottom, width: box.width,"
            " connections: tile.classList.contains('well-tile-connections')}; })"
        )
        row = page.evaluate("() => document.querySelector('.well-tiles').clientWidth")
    finally:
        page.context.close()
    connections = [box for box in boxes if box["connections"]]
    others = [box for box in boxes if not box["connections"]]
    assert len(connections) == 1
    assert len(others) == 6
    # Below every other card, as wide as the row: nothing beside it.
    assert max(box["bottom"] for box in others) < connections[0]["top"]
    assert connections[0]["width"] == row
