"""A percentage is written one way wherever a reviewer reads it: as `decision_display.percent`
writes the Confidence column ("85 %", "83.11 %"). Routing and matching write their sentences so
(`reconciliation.text.percents.percent`); rows stored before say "Confidence 58.59% …
threshold 85.00%", "score 98.57 ≥ threshold 80.00", and reason codes are read back from
either wording, so the stored texts stay as they are: the review screen (its "Why it is here",
its history, the candidates' reasons) and the queue (its Why cell and hover) show them through
`text.percents.with_percents` and `text.percents.match_reason`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from reconciliation.admin.decision_display import percent
from reconciliation.invoices import reasons
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from reconciliation.text.percents import match_reason
from reconciliation.text.percents import recorded_percent
from reconciliation.text.percents import with_percents
from tests.factories import fill_the_review_queue
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_routed_invoice
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_vendor
from tests.helpers import logged_in_client
from tests.helpers import review_screen
from tests.helpers import section
from tests.helpers import visible_text
from tests.plugins.browser import list_overflow
from tests.plugins.browser import signed_in_list
from tests.test_controls_reason_codes import SAMPLE

QUEUE = "/admin/review/"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (
            "Confidence 58.59% is below the auto-post threshold 85.00% (workspace).",
            "Confidence 58.59 % is below the auto-post threshold 85 % (workspace).",
        ),
        (
            "Routing rule “Big invoices” applies: thresholds 55.00% / 95.00%.",
            "Routing rule “Big invoices” applies: thresholds 55 % / 95 %.",
        ),
        (
            "Issue date was read with 80% confidence, below the auto-post threshold 85.50%.",
            "Issue date was read with 80 % confidence, below the auto-post threshold 85.50 %.",
        ),
        (
            "Cost 9.1 points — Invoice number: 61%, read from the text.",
            "Cost 9.1 points — Invoice number: 61 %, read from the text.",
        ),
        (
            "Vendor “Acme 100%” is in training (4/10 reviewed).",
            "Vendor “Acme 100 %” is in training (4/10 reviewed).",
        ),
        # Already written so, or no percentage: as it is.
        ("Below 85 % (83.11 %)", "Below 85 % (83.11 %)"),
        ("Total not found.", "Total not found."),
    ],
)
def test_a_sentence_shows_its_percentages_as_the_confidence_column(stored: str, shown: str) -> None:
    assert with_percents(stored) == shown
    assert with_percents(shown) == shown


def test_the_rule_is_decision_display_percent() -> None:
    for number in ("85.00", "83.11", "83.10", "100", "0.5"):
        assert with_percents(f"Confidence {number}%.") == f"Confidence {percent(Decimal(number))}."


@pytest.mark.parametrize(
    ("recorded", "fraction", "shown"),
    [
        ("85.00", False, "85 %"),  # a threshold as a decision records it
        (Decimal("83.11"), False, "83.11 %"),
        (72.5, False, "72.50 %"),
        (0.9892, True, "98.92 %"),  # a field's confidence, stored from 0 to 1
        (1, True, "100 %"),
        ("high", False, "high"),  # not a number: as stored
        ("Infinity", True, "Infinity"),
    ],
)
def test_a_recorded_percentage_reads_as_the_confidence_column(
    recorded: object, fraction: bool, shown: str
) -> None:
    """One reading for a decision's page (its thresholds, confidence, score) and the decision
    log (its thresholds in force, the fields' confidences)."""
    assert recorded_percent(recorded, fraction=fraction) == shown


@pytest.mark.parametrize("code", sorted(reasons.REGISTRY))
def test_a_sentence_reads_back_as_its_code_stored_and_shown(code: str) -> None:
    stored = reasons.sentence(code, **SAMPLE).text
    assert reasons.code_of(stored) == code
    assert reasons.code_of(with_percents(stored)) == code


@pytest.mark.parametrize(
    ("stored", "code", "threshold"),
    [
        ("Confidence 83.10% is below the auto-post threshold 85.00% (workspace).",
         "below_auto_post_threshold", "85.00%"),
        ("Confidence 50.00% is below the review threshold 55.00% (workspace).",
         "below_review_threshold", "55.00%"),
        ("Total was read with 60.00% confidence, below the auto-post threshold 85.00%.",
         "field_below_threshold", "85.00%"),
    ],
)  # fmt: skip
def test_old_stored_sentences_keep_their_codes_and_values(
    stored: str, code: str, threshold: str
) -> None:
    assert reasons.code_of(stored) == code
    values = reasons.values_of(code, stored)
    assert values is not None
    assert values["threshold"] == threshold
    assert reasons.values_of(code, "Total not found.") is None


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("score 98.57 ≥ threshold 80.00", "score 98.57 % ≥ threshold 80 %"),
        (
            "score 91.00 ≥ threshold 80.00; the earliest",
            "score 91 % ≥ threshold 80 %; the earliest",
        ),
        (
            "best score 79.99 is below the threshold 80",
            "best score 79.99 % is below the threshold 80 %",
        ),
        (
            "best score 90.00 is not clearly ahead of the runner-up (89.50)",
            "best score 90 % is not clearly ahead of the runner-up (89.50 %)",
        ),
        ("name 92% similar ('ACME')", "name 92 % similar ('ACME')"),
        ("amount 1,250.00 EUR equal", "amount 1,250.00 EUR equal"),
        ("value date +1 day", "value date +1 day"),
    ],
)
def test_a_match_reason_shows_its_scores_as_percentages(stored: str, shown: str) -> None:
    assert match_reason(stored) == shown
    assert match_reason(shown) == shown


@pytest.mark.django_db
def test_the_review_screen_writes_percent_one_way(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    vendor = make_vendor(workspace, "Northwind", documents_reviewed=10)
    invoice = make_routed_invoice(workspace, vendor, "58.59")
    written = "Confidence 58.59 % is below the auto-post threshold 85 % (workspace)."
    old = "Confidence 58.59% is below the auto-post threshold 85.00% (workspace)."
    assert invoice.routing_reasons[0] == written  # as routing writes it now
    # Rows stored before: the invoice's reasons and a decision as routing wrote them then.
    Invoice.objects.filter(pk=invoice.pk).update(routing_reasons=[old])
    Decision.objects.create(
        workspace=workspace, action=DecisionAction.ROUTE, invoice=invoice, reason=old
    )
    debit = make_transaction(workspace, reference="INV-1")
    make_match(
        workspace,
        kind=MatchKind.CONFIRMATION_DEBIT,
        status=MatchStatus.PROPOSED,
        document=invoice.document,
        transaction=debit,
        score=Decimal("79.99"),
        reasons=["name 92% similar", "best score 79.99 is below the threshold 80"],
    )
    body = logged_in_client(reviewer).get(review_screen(invoice.document_id)).content.decode()

    sentence = "Confidence 58.59 % is below the auto-post threshold 85 % (workspace)."
    assert sentence in visible_text(section(body, 'id="well-reasons"', "</section>"))
    assert sentence in visible_text(section(body, 'id="well-history"', "</ol>"))
    candidates = visible_text(section(body, 'id="well-candidates"', "</table>"))
    assert "name 92 % similar; best score 79.99 % is below the threshold 80 %" in candidates
    for written in ("58.59%", "85.00%", "92%", "score 79.99 is"):
        assert written not in body


@pytest.mark.django_db
def test_the_queue_writes_percent_one_way(workspace: Workspace, reviewer: AbstractUser) -> None:
    stored = "Confidence 83.11% is below the auto-post threshold 85.00% (workspace)."
    make_invoice(workspace, confidence=Decimal("83.11"), routing_reasons=[stored])
    body = logged_in_client(reviewer).get(QUEUE).content.decode()

    assert ">83.11 %</span>" in body  # the Confidence column
    shown = "Confidence 83.11 % is below the auto-post threshold 85 % (workspace)."
    assert (
        f'<span class="well-why" title="{shown}"><span class="well-clip">Below</span>'
        ' <span class="well-figure">85 %</span></span>'
    ) in body
    assert "83.11%" not in body
    assert "85.00%" not in body


@pytest.mark.browser
def test_the_why_cell_never_cuts_its_figure(
    live_server: LiveServer, browser: Browser, workspace: Workspace
) -> None:
    """The words of the lead cause may end in an ellipsis; its figure ("85 %", "61 %", "3/10")
    is whole, and the queue still fits 1440 px with the longest names beside it."""
    fill_the_review_queue(workspace)  # eight rows of long names and free-text reasons
    vendor = make_vendor(
        workspace, "Imprimerie Nationale des Pays de Loire SAS", documents_reviewed=3
    )
    leads = [
        reasons.sentence(
            "below_auto_post_threshold", value="83.11%", threshold="85.00%", source="workspace"
        ).text,
        reasons.sentence(
            "field_below_threshold", field="Invoice number", confidence="61%", threshold="85.00%"
        ).text,
        reasons.sentence("vendor_in_training", vendor=vendor.name, progress="3/10").text,
        reasons.sentence(
            "below_review_threshold", value="54.99%", threshold="55.50%", source="workspace"
        ).text,
    ]
    for lead in leads:
        make_invoice(workspace, vendor=vendor, confidence=Decimal("83.11"), routing_reasons=[lead])
    user = make_user("rita", workspace=workspace, role=Role.REVIEWER)
    page = signed_in_list(browser, live_server.url, user, QUEUE)
    overflow = list_overflow(page)
    figures = page.evaluate(
        "() => [...document.querySelectorAll('#result_list td.field-reason .well-figure')]"
        ".map(figure => { const box = figure.getBoundingClientRect(),"
        " cell = figure.closest('td').getBoundingClientRect();"
        " return figure.scrollWidth <= figure.clientWidth + 1 && box.right <= cell.right"
        " ? figure.textContent : ''; })"
    )
    page.context.close()
    assert overflow <= 0
    assert sorted(figures) == ["3/10", "55.50 %", "61 %", "85 %"]
