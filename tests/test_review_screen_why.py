"""The review screen says why a document is here before anything is decided: "Why it is here"
sits under the title, above the pages, the fields and the decision panels, compact (the causes,
what only a person may approve, the conflicts), on the first screen at 1440 x 900; how the
confidence was computed stays below the fields, linked from the confidence in the title's line."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_double_charge
from tests.factories import make_invoice
from tests.factories import make_user
from tests.helpers import logged_in_client
from tests.helpers import review_screen
from tests.helpers import section
from tests.helpers import visible_text
from tests.plugins.browser import signed_in_page
from tests.test_review_screen import make_review_invoice

pytestmark = pytest.mark.django_db


def _why(body: str) -> str:
    return section(body, 'id="well-reasons"', "</section>")


def test_why_comes_under_the_title_before_the_pages_and_the_fields(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    invoice = make_review_invoice(workspace, routing_reasons=["score 72.5 between 55 and 85"])
    body = logged_in_client(reviewer).get(review_screen(invoice.document_id)).content.decode()

    title = body.index("<h1>")
    order = [
        title,
        body.index('id="well-reasons"'),
        body.index("</header>", title),  # the review screen's own header
        body.index('class="well-pages"'),
        body.index('id="well-fields-panel"'),
        body.index('id="well-confidence"'),
    ]
    assert order == sorted(order)
    assert visible_text(_why(body)).endswith(
        "Why it is here score 72.5 between 55 and 85"
        " Conflict: The document&#x27;s IBAN differs from the vendor record."
    )
    # The points-lost table is not in the compact block: below the fields, linked from the title.
    assert "well-components" not in _why(body)
    assert body.count('id="well-reasons"') == 1
    assert '72.50 %</span> (<a href="#well-confidence">how it was computed</a>)' in body
    assert "<h2>How the confidence was computed</h2>" in body


def test_a_held_double_charge_says_why_before_its_panel(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    repeat = make_invoice(workspace, number="R-1")
    make_double_charge(repeat, hold_reason="Same number and amount as invoice R-0")
    body = logged_in_client(reviewer).get(review_screen(repeat.document_id)).content.decode()

    why = _why(body)
    assert '<li class="well-conflict">Held out of posting: Same number and amount' in why
    assert body.index('id="well-reasons"') < body.index('id="well-double-charge"')


def test_a_document_with_nothing_to_explain_has_no_why_block(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    invoice = make_invoice(workspace, routing_reasons=[])
    body = logged_in_client(reviewer).get(review_screen(invoice.document_id)).content.decode()
    assert 'id="well-reasons"' not in body
    assert "Why it is here" not in body
    assert 'href="#well-confidence"' not in body


@pytest.mark.browser
def test_why_it_is_here_is_on_the_first_screen_above_the_fields(
    live_server: LiveServer, browser: Browser, workspace: Workspace
) -> None:
    invoice = make_review_invoice(workspace)
    user = make_user("rita", workspace=workspace, role=Role.REVIEWER)
    page = signed_in_page(browser, live_server.url, user, width=1440, height=900)
    page.goto(f"{live_server.url}{review_screen(invoice.document_id)}")

    why = page.locator("#well-reasons").bounding_box()
    fields = page.locator("#well-fields-panel").bounding_box()
    title = page.locator("h1").bounding_box()
    table = page.locator("#well-confidence").bounding_box()
    assert why is not None
    assert fields is not None
    assert title is not None
    assert table is not None
    # Whole on the first screen, right under the title, above the fields, and compact.
    assert title["y"] < why["y"]
    assert why["y"] + why["height"] < min(fields["y"], 900)
    assert why["height"] <= 100, why
    # The link beside the confidence leads to the points-lost table, below the fields.
    assert table["y"] > fields["y"] + fields["height"]
    page.click('a[href="#well-confidence"]')
    page.wait_for_function("() => location.hash === '#well-confidence'")
    shown = page.locator("#well-confidence").bounding_box()
    assert shown is not None
    assert 0 <= shown["y"] < 900
    page.context.close()
