"""Layout found by the new-user tour at 1280 x 800 and 1440 x 900: the review queue fits both
screens (its last column, Waiting, whole) and gives its Vendor column the room the others leave;
the Matches list cuts a paperwork label only when it is longer than its column can be; the
dashboard's connections card takes a row of its own, so no short card stands beside it over an
empty space."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from reconciliation.models import InvoiceStatus
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace
from tests.factories import CONFIRMATION_NAMES
from tests.factories import fill_the_review_queue
from tests.factories import make_connection
from tests.factories import make_document
from tests.factories import make_double_payment
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_vendor
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
