"""A flag's page after it is answered, and the reasons on it and on the invoice page (tour: flag
page leftovers): no empty "Decide:" row once no decision is left, and a list of reasons starts
where every other read-only value does, not 160 px further in (Django's `form .aligned ul`)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import make_user
from tests.helpers import logged_in_client
from tests.plugins.browser import signed_in_page

pytestmark = pytest.mark.django_db


def _flag(workspace: Workspace, status: MatchStatus) -> Match:
    invoice = make_invoice(workspace, status=InvoiceStatus.POSTED, total_amount=Decimal("985"))
    return make_match(
        workspace,
        kind=MatchKind.DOUBLE_PAYMENT,
        invoice=invoice,
        transaction=make_transaction(workspace),
        status=status,
        reasons=["A first debit already paid this invoice", "Same amount, 3 days apart"],
    )


def _page(workspace: Workspace, match: Match) -> str:
    client = logged_in_client(make_user(superuser=True))
    response = client.get(reverse("admin:reconciliation_match_change", args=[match.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_an_open_flag_offers_its_decisions(workspace: Workspace) -> None:
    page = _page(workspace, _flag(workspace, MatchStatus.PROPOSED))
    assert 'field-decide"' in page
    assert 'formaction="' in page.split('field-decide"')[1]


@pytest.mark.parametrize("answered", [MatchStatus.REFUSED, MatchStatus.DISMISSED])
def test_an_answered_flag_has_no_empty_decide_row(workspace: Workspace, answered: str) -> None:
    page = _page(workspace, _flag(workspace, MatchStatus(answered)))
    assert 'field-decide"' not in page
    assert "Decide:" not in page
    assert "A first debit already paid this invoice" in page


#: How far in, in pixels, the page's lists of reasons start from their read-only box.
REASONS_INDENT = (
    "() => [...document.querySelectorAll('fieldset .readonly ul')].map(list =>"
    " list.getBoundingClientRect().left - list.closest('.readonly').getBoundingClientRect().left"
    " + parseFloat(getComputedStyle(list).paddingLeft))"
)


@pytest.mark.browser
def test_reasons_start_where_the_other_values_do(
    live_server: LiveServer, browser: Browser, workspace: Workspace
) -> None:
    match = _flag(workspace, MatchStatus.REFUSED)
    invoice = make_invoice(workspace, routing_reasons=["Total above the threshold", "New vendor"])
    page = signed_in_page(browser, live_server.url, make_user(superuser=True))
    try:
        for url in (
            reverse("admin:reconciliation_match_change", args=[match.pk]),
            reverse("admin:reconciliation_invoice_change", args=[invoice.pk]),
        ):
            page.goto(f"{live_server.url}{url}")
            indents = page.evaluate(REASONS_INDENT)
            assert indents, url
            assert all(abs(indent) < 1 for indent in indents), (url, indents)
    finally:
        page.context.close()
