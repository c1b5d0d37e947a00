"""The Matches list at 1440 px, as the tour's superuser saw it (every workspace's matches, so the
workspace column too): "Payment confirmation ↔ debit" took three lines and the paperwork names
were cut to "Payment_confirm…", one like the next. The kind is said short ("Confirmation ↔
debit", in the Kind column and its filter alike), the paperwork keeps the part of a name that
tells it apart, and no row takes more than two lines."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from reconciliation.models import Workspace
from tests.factories import make_user
from tests.factories import make_workspace
from tests.factories import remittance_named_like_a_confirmation
from tests.factories import two_payment_confirmations
from tests.helpers import logged_in_client
from tests.plugins.browser import ROW_LINES
from tests.plugins.browser import list_overflow
from tests.plugins.browser import signed_in_list

pytestmark = pytest.mark.django_db

MATCHES = reverse("admin:reconciliation_match_changelist")

#: The characters of each Paperwork cell a reader sees: those inside both the cell and the box
#: of the element holding them (a cut part's hidden characters are not; the ellipsis is drawn).
PAPERWORK_SHOWN = (
    "() => [...document.querySelectorAll('#result_list th.field-paperwork')].map(cell => {"
    " const box = cell.getBoundingClientRect(); let seen = '';"
    " const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);"
    " for (let node = walker.nextNode(); node; node = walker.nextNode()) {"
    "  const own = node.parentElement.getBoundingClientRect();"
    "  const range = document.createRange();"
    "  for (let i = 0; i < node.length; i++) { range.setStart(node, i); range.setEnd(node, i + 1);"
    "   const r = range.getBoundingClientRect();"
    "   if (r.left >= Math.max(box.left, own.left) - 0.5"
    "    && r.right <= Math.min(box.right, own.right) + 0.5) seen += node.data[i]; } }"
    " return seen; })"
)


def test_the_kind_column_says_the_kind_short(workspace: Workspace) -> None:
    two_payment_confirmations(workspace)
    client: Client = logged_in_client(make_user(workspace=workspace))
    page = client.get(MATCHES).content.decode()
    assert '<td class="field-match_kind">Confirmation ↔ debit</td>' in page
    cells = re.findall(r'<td class="field-[^"]*">(.*?)</td>', page)
    assert [cell for cell in cells if "Payment confirmation ↔ debit" in cell] == []


@pytest.mark.browser
def test_matches_rows_take_two_lines_and_names_read_apart(
    live_server: LiveServer, browser: Browser, workspace: Workspace
) -> None:
    make_workspace("Second workspace")  # the superuser sees the workspace column
    two_payment_confirmations(workspace)
    remittance_named_like_a_confirmation(workspace)
    user = make_user("root", superuser=True)
    page = signed_in_list(browser, live_server.url, user, MATCHES)
    try:
        assert max(page.evaluate(ROW_LINES)) <= 2
        assert list_overflow(page) <= 0
        shown = page.evaluate(PAPERWORK_SHOWN)
        confirmations = [text for text in shown if text.startswith("Payment_")]
        assert len(confirmations) == 2
        assert len(set(confirmations)) == 2, confirmations  # told apart without the tooltip
    finally:
        page.context.close()
