"""Money that already left is in front of a person: open possible double payments and
refused-but-paid invoices are counted on the dashboard (linking to the match list filtered to
them) and listed first in the review queue, with the invoice, both debits and the one-click
answers; only the user's workspaces' flags, at a constant number of queries."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from connectors.sandbox import Sandbox
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Match
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import example_double_payment
from tests.factories import example_paid_refused
from tests.factories import make_invoice
from tests.factories import make_user
from tests.factories import make_workspace
from tests.helpers import logged_in_client
from tests.helpers import money_flags_block
from tests.helpers import page_queries
from tests.helpers import section
from tests.helpers import visible_text
from tests.plugins.browser import signed_in_list
from tests.test_demo_first_window import run_first_window

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:reconciliation-review")
MATCHES = reverse("admin:reconciliation_match_changelist")


def _figure(body: str, name: str) -> int:
    found = re.search(rf'data-figure="{name}">(\d+)<', body)
    assert found is not None, name
    return int(found.group(1))


def _link(body: str, name: str) -> str:
    found = re.search(rf'<a href="([^"]+)" data-flag-list="{name}">', body)
    assert found is not None, name
    return found.group(1).replace("&amp;", "&")


# --- the dashboard ---------------------------------------------------------------------------


def test_dashboard_counts_open_money_flags_each_linking_to_its_matches(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    flagged = example_double_payment(workspace)
    refused = example_paid_refused(workspace)
    decided = example_double_payment(workspace, number="2026-0001")
    Match.objects.filter(pk=decided.pk).update(status=MatchStatus.DISMISSED)
    example_double_payment(make_workspace("Other SAS"), number="2026-0458")  # not theirs
    client = logged_in_client(reviewer)

    body = client.get("/admin/").content.decode()

    assert (_figure(body, "double_payments"), _figure(body, "paid_refused")) == (1, 1)
    assert "1</span> possible double payment</a>" in body
    assert "Review queue — 2 waiting" in body  # nothing else waits: the two flags
    for name, match in (("double_payments", flagged), ("paid_refused", refused)):
        link = _link(body, name)
        assert link.startswith(f"{MATCHES}?kind__exact={match.kind}&status__exact=proposed")
        listed = client.get(link).context["cl"].result_list
        assert [m.pk for m in listed] == [match.pk]


def test_dashboard_links_keep_to_their_workspace(workspace: Workspace) -> None:
    other = make_workspace("Other SAS")
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    other.memberships.create(user_id=user.pk, role=Role.REVIEWER)
    example_double_payment(workspace)
    theirs = example_double_payment(other, number="2026-0458")
    client = logged_in_client(user)

    body = client.get("/admin/").content.decode()
    theirs_onwards = body[body.index(f'data-workspace="{other.pk}"') :]

    link = _link(theirs_onwards, "double_payments")
    assert link.endswith(f"&workspace={other.pk}")
    assert [m.pk for m in client.get(link).context["cl"].result_list] == [theirs.pk]


# --- the review queue ------------------------------------------------------------------------


def test_queue_lists_a_double_payment_first_with_both_debits_and_its_answers(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    flagged = example_double_payment(workspace)
    make_invoice(workspace, number="TO-CHECK")  # a document waiting in the queue
    body = logged_in_client(reviewer).get(QUEUE).content.decode()

    block = money_flags_block(body)
    assert body.index("data-well-money-flags") < body.index('id="result_list"')
    assert "<strong>1</strong> possible double payment" in body
    assert "2 waiting in all" in body
    assert "2026-0457 · Van Dijk Vertaalbureau B.V." in block
    assert "985.00 EUR" in block or "985,00" in block
    assert "First debit (paid it): 15 Nov 2026" in block
    assert "Second debit: 19 Nov 2026" in block
    assert reverse("admin:reconciliation_match_change", args=[flagged.pk]) in block
    for name, label in (("refund", "Refund requested"), ("not_duplicate", "Not a duplicate")):
        url = reverse(f"admin:reconciliation_match_{name}", args=[flagged.pk])
        # A button: the queue's shortcuts leave a focused one alone, so Enter on it answers.
        assert f'<button type="submit" class="button" formaction="{url}">{label}</button>' in block


def test_double_payments_come_before_refused_but_paid(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    refused = example_paid_refused(workspace)
    flagged = example_double_payment(workspace)
    body = logged_in_client(reviewer).get(QUEUE).content.decode()

    rows = re.findall(r'data-money-flag="(\d+)"', money_flags_block(body))
    assert rows == [str(flagged.pk), str(refused.pk)]
    assert "<strong>1</strong> refused, but paid" in body
    assert "2 waiting in all" in body
    assert "Paid by: 12 Oct 2026" in money_flags_block(body)
    for name in ("reopen", "keep_refused"):
        assert reverse(f"admin:reconciliation_match_{name}", args=[refused.pk]) in body


def test_refund_requested_from_the_queue_comes_back_to_the_queue(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    flagged = example_double_payment(workspace)
    client = logged_in_client(reviewer)
    url = reverse("admin:reconciliation_match_refund", args=[flagged.pk])
    assert f'formaction="{url}"' in money_flags_block(client.get(QUEUE).content.decode())

    response = client.post(url, HTTP_REFERER=f"http://testserver{QUEUE}")

    assert (response.status_code, response["Location"]) == (302, f"http://testserver{QUEUE}")
    flagged.refresh_from_db()
    assert (flagged.status, flagged.decided_by_id) == (MatchStatus.REFUSED, reviewer.pk)
    assert Decision.objects.get(match=flagged).action == DecisionAction.REFUND_REQUESTED
    body = client.get(QUEUE).content.decode()
    assert "data-well-money-flags" not in body
    assert "0 waiting in all" in body


def test_queue_shows_only_the_users_workspaces_flags(workspace: Workspace) -> None:
    other = make_workspace("Other SAS")
    third = make_workspace("Third SAS")
    mine = example_double_payment(workspace)
    theirs = example_double_payment(other, number="2026-0458")
    example_double_payment(third, number="2026-0459")  # nobody here is a member
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    other.memberships.create(user_id=user.pk, role=Role.AUDITOR)
    client = logged_in_client(user)

    body = client.get(QUEUE).content.decode()
    only_other = client.get(f"{QUEUE}?workspace={other.pk}").content.decode()

    assert re.findall(r'data-money-flag="(\d+)"', money_flags_block(body)) == [
        str(mine.pk),
        str(theirs.pk),
    ]
    assert "2026-0459" not in body
    assert "2 waiting in all" in body
    assert re.findall(r'data-money-flag="(\d+)"', money_flags_block(only_other)) == [str(theirs.pk)]
    # An auditor of the other workspace reads its flag but has no answer to give.
    assert reverse("admin:reconciliation_match_refund", args=[theirs.pk]) not in only_other
    assert "read-only" in money_flags_block(only_other)


def test_queue_and_dashboard_cost_the_same_for_one_flag_or_twenty(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    client = logged_in_client(reviewer)
    example_double_payment(workspace)
    example_paid_refused(workspace)
    small = (page_queries(client, QUEUE), page_queries(client, "/admin/"))
    for n in range(20):
        example_double_payment(workspace, number=f"2026-{n:04d}")
    large = (page_queries(client, QUEUE), page_queries(client, "/admin/"))
    assert large == small


# --- the demo, as the README's tour tells it -------------------------------------------------


@pytest.mark.slow
def test_the_demo_shows_the_invoice_paid_twice_on_the_dashboard_and_first_in_the_queue(
    sandbox_settings: Sandbox, django_capture_on_commit_callbacks: Any
) -> None:
    run_first_window(sandbox_settings, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(get_user_model().objects.get(username="demo"))

    home = client.get("/admin/").content.decode()
    queue = client.get(QUEUE).content.decode()

    figures = ("backlog", "double_payments", "double_charges", "paid_refused")
    assert [_figure(home, name) for name in figures] == [10, 1, 1, 0]
    assert "Review queue — 11 waiting" in home
    assert "nothing stuck" in home
    counts = visible_text(section(queue, "data-well-queue-counts", 'class="well-hint"'))
    assert " ".join(counts.split()[1:-1]) == (
        "1 possible double payment 1 double charge 9 invoices to check"
        " 0 payments to match 11 waiting in all"
    )
    block = money_flags_block(queue)
    assert "2026-0457 · Van Dijk Vertaalbureau B.V." in block
    assert "First debit (paid it): 15 Nov 2026 · 985.00 EUR" in block
    assert "Second debit: 19 Nov 2026 · 985.00 EUR" in block
    assert ">Refund requested</button>" in block
    assert ">Not a duplicate</button>" in block


@pytest.mark.browser
def test_enter_on_a_flags_link_in_the_queue_opens_the_flag(
    live_server: LiveServer, browser: Browser, workspace: Workspace
) -> None:
    """The queue's Enter opens the current row — unless a link or a button has the focus."""
    flagged = example_double_payment(workspace)
    make_invoice(workspace, number="TO-CHECK")  # the queue's current row
    user = make_user("rita", workspace=workspace, role=Role.REVIEWER)
    page = signed_in_list(browser, live_server.url, user, QUEUE)

    page.locator(f'[data-money-flag="{flagged.pk}"] a').first.focus()
    page.keyboard.press("Enter")

    page.wait_for_url(f"**/match/{flagged.pk}/change/")
    page.context.close()
