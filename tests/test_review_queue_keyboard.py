"""The review queue's keyboard walks the money flags too: `j`/`k` move through the "Money gone"
block's rows first (in page order), then the documents; Enter (or `o`) opens the current row, a
flag's own page as a document's review screen. The block's one-click answers are buttons that
post what the submit inputs they replace posted, and Enter on a focused one answers the flag."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import AbstractUser
from django.urls import reverse
from playwright.sync_api import Browser
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import Match
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import example_double_payment
from tests.factories import example_paid_refused
from tests.factories import make_invoice
from tests.factories import make_user
from tests.helpers import logged_in_client
from tests.helpers import money_flags_block
from tests.plugins.browser import signed_in_list

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:reconciliation-review")


# --- the answers are buttons, posting as before ------------------------------------------------


def test_the_answers_are_buttons_posting_to_the_decision_views(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    flagged = example_double_payment(workspace)
    refused = example_paid_refused(workspace)
    block = money_flags_block(logged_in_client(reviewer).get(QUEUE).content.decode())

    assert '<input type="submit"' not in block
    answers = re.findall(
        r'<button type="submit" class="button" formaction="([^"]+)">([^<]+)</button>', block
    )
    assert answers == [
        (reverse("admin:reconciliation_match_refund", args=[flagged.pk]), "Refund requested"),
        (reverse("admin:reconciliation_match_not_duplicate", args=[flagged.pk]), "Not a duplicate"),
        (reverse("admin:reconciliation_match_reopen", args=[refused.pk]), "Reopen the invoice"),
        (reverse("admin:reconciliation_match_keep_refused", args=[refused.pk]), "Keep refused"),
    ]
    # Nameless, as the inputs were: a press posts the form's CSRF token only, to its formaction.
    assert " name=" not in block.split("<tbody>", 1)[1]


def test_the_help_says_j_and_k_walk_the_money_flags_first(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    example_double_payment(workspace)
    body = logged_in_client(reviewer).get(QUEUE).content.decode()
    assert "Next / previous row (the money flags first, then the documents)" in body
    assert "Open the row: a flag's page, a document's review screen" in body


# --- in the browser --------------------------------------------------------------------------


def _current(page: Page) -> str:
    """The current row: "flag <pk>" for a money flag, "document <number>" for a document."""
    return str(
        page.evaluate(
            """() => {
                const rows = document.querySelectorAll('tr.well-current');
                if (rows.length !== 1) { return 'rows: ' + rows.length; }
                const row = rows[0];
                const flag = row.getAttribute('data-money-flag');
                if (flag) { return 'flag ' + flag; }
                return 'document ' + row.textContent;
            }"""
        )
    )


def _focused_href(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement.getAttribute('href') || ''"))


@pytest.fixture
def queue_page(
    live_server: LiveServer, browser: Browser, workspace: Workspace
) -> Iterator[tuple[Page, Match, Match, Invoice]]:
    """The queue in the browser, as reviewer "rita" sees it: a double payment (flagged), a
    refused-but-paid invoice (refused) and a document to check (waiting); closed after."""
    flagged = example_double_payment(workspace)
    refused = example_paid_refused(workspace)
    waiting = make_invoice(workspace, number="TO-CHECK", supplier_name="Northwind")
    user = make_user("rita", workspace=workspace, role=Role.REVIEWER)
    page = signed_in_list(browser, live_server.url, user, QUEUE)
    yield page, flagged, refused, waiting
    page.context.close()


@pytest.mark.browser
def test_j_and_k_walk_the_money_flags_then_the_documents(
    queue_page: tuple[Page, Match, Match, Invoice],
) -> None:
    page, flagged, refused, waiting = queue_page
    flag_url = reverse("admin:reconciliation_match_change", args=[flagged.pk])
    refused_url = reverse("admin:reconciliation_match_change", args=[refused.pk])

    # The queue opens on its first row in page order: the double payment.
    assert _current(page) == f"flag {flagged.pk}"
    page.keyboard.press("j")
    assert (_current(page), _focused_href(page)) == (f"flag {refused.pk}", refused_url)
    page.keyboard.press("j")
    assert "TO-CHECK" in _current(page)
    assert _focused_href(page).endswith(f"/{waiting.document_id}/")
    page.keyboard.press("j")  # the last row stays current
    assert "TO-CHECK" in _current(page)
    page.keyboard.press("k")
    page.keyboard.press("k")
    assert (_current(page), _focused_href(page)) == (f"flag {flagged.pk}", flag_url)
    page.keyboard.press("k")  # the first row stays current
    assert _current(page) == f"flag {flagged.pk}"


@pytest.mark.browser
def test_enter_on_the_current_money_flag_opens_it(
    queue_page: tuple[Page, Match, Match, Invoice],
) -> None:
    page, _, refused, _ = queue_page
    page.keyboard.press("j")
    assert _current(page) == f"flag {refused.pk}"

    page.keyboard.press("Enter")

    page.wait_for_url(f"**/match/{refused.pk}/change/")


@pytest.mark.browser
def test_o_opens_the_current_money_flag_and_enter_a_document_after_it(
    queue_page: tuple[Page, Match, Match, Invoice],
) -> None:
    page, flagged, _, waiting = queue_page
    page.keyboard.press("o")  # nothing focused yet: the current row, the first flag
    page.wait_for_url(f"**/match/{flagged.pk}/change/")

    page.go_back()
    page.wait_for_selector("#result_list")
    for _ in range(2):
        page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/review/{waiting.document_id}/")


@pytest.mark.browser
def test_enter_on_a_focused_answer_button_answers_the_flag(
    queue_page: tuple[Page, Match, Match, Invoice],
) -> None:
    page, flagged, refused, _ = queue_page
    button = page.locator(f'[data-money-flag="{flagged.pk}"] button', has_text="Refund requested")
    button.focus()

    page.keyboard.press("Enter")

    page.wait_for_selector(".messagelist")
    assert page.url.endswith(QUEUE)
    flagged.refresh_from_db()
    assert flagged.status == MatchStatus.REFUSED
    assert Decision.objects.get(match=flagged).action == DecisionAction.REFUND_REQUESTED
    # Back on the queue, the one flag left is the first row.
    assert page.locator("[data-money-flag]").count() == 1
    assert _current(page) == f"flag {refused.pk}"
