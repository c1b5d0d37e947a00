"""One way to show a thing across the admin: the match status filter's short refused label,
the review screen's dates, the decisions' percentages, the export form's "Select all" label, the
document page's status and a document's or a match's status in the decisions."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.formats import date_format

from reconciliation.admin.decision_display import changes
from reconciliation.admin.decision_display import percent
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from reconciliation.web.dates import DayField
from reconciliation.web.dates import DayInput
from tests.factories import make_document
from tests.factories import make_extracted_document
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_user
from tests.helpers import logged_in_client
from tests.helpers import review_form
from tests.helpers import review_screen
from tests.test_review_screen import make_review_invoice

pytestmark = pytest.mark.django_db


def _reviewer(workspace: Workspace) -> AbstractUser:
    return make_user(workspace=workspace, role=Role.REVIEWER)


def test_the_match_status_filter_names_refused_in_few_words(workspace: Workspace) -> None:
    make_match(workspace, kind=MatchKind.DOUBLE_CHARGE, status=MatchStatus.REFUSED)
    client = logged_in_client(_reviewer(workspace))
    response = client.get(reverse("admin:reconciliation_match_changelist"))
    changelist = response.context["cl"]
    offered = [
        str(choice["display"])
        for spec in changelist.filter_specs
        if getattr(spec, "field_path", "") == "status"
        for choice in spec.choices(changelist)
    ]
    assert "Refused / refund requested" in offered
    assert not any("(double charge) /" in label for label in offered)


def test_decisions_write_percentages_as_the_lists_and_pages_do() -> None:
    rows = changes(
        {"confidence": "94.8", "review_threshold": "55.00", "score": "87"},
        {"confidence": "97.72", "review_threshold": "60.5", "score": "100.00"},
    )
    shown = {row.label: (row.before, row.after) for row in rows}
    assert shown["Confidence"] == (percent(Decimal("94.8")), "97.72 %") == ("94.80 %", "97.72 %")
    assert shown["Review threshold"] == ("55 %", "60.50 %")
    assert shown["Score"] == ("87 %", "100 %")


def test_the_review_history_and_the_invoice_list_agree_on_a_confidence(
    workspace: Workspace,
) -> None:
    invoice = make_invoice(workspace, confidence=Decimal("94.80"))
    Decision.record_for_invoice(
        invoice,
        DecisionAction.ROUTE,
        actor=None,
        before={"status": "new"},
        after={"status": "needs_review", "confidence": "94.80"},
        reason="routed",
    )
    client = logged_in_client(make_user(superuser=True))
    screen = client.get(
        reverse("admin:reconciliation-review-document", args=[invoice.document_id])
    ).content.decode()
    listed = client.get(reverse("admin:reconciliation_invoice_changelist")).content.decode()
    assert "Confidence: — → 94.80 %" in screen
    assert "94.80 %" in listed
    assert "94.8 %" not in screen


# --- the review screen's dates ---------------------------------------------------------------


def test_the_review_screen_writes_an_invoice_s_dates_as_the_invoice_page_does(
    workspace: Workspace,
) -> None:
    invoice = make_review_invoice(
        workspace, issue_date=date(2026, 11, 3), due_date=date(2026, 12, 3)
    )
    client = logged_in_client(make_user(superuser=True))
    screen = client.get(review_screen(invoice.document_id)).content.decode()
    page = client.get(reverse("admin:reconciliation_invoice_change", args=[invoice.pk]))
    assert 'name="field-issue_date" value="3 Nov 2026"' in screen
    assert 'name="field-due_date" value="3 Dec 2026"' in screen
    assert "03/11" not in screen
    assert "3 Nov 2026" in page.content.decode()


def test_the_written_dates_come_back_unchanged(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    invoice = make_review_invoice(
        workspace, issue_date=date(2026, 11, 3), due_date=date(2026, 12, 3)
    )
    typed = review_form(invoice) | {
        "field-issue_date": "3 Nov 2026",
        "field-due_date": "03/12/2026",
        "action": "save",
    }
    response = logged_in_client(reviewer).post(review_screen(invoice.document_id), typed)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 11, 3), date(2026, 12, 3))
    assert not Decision.objects.filter(invoice=invoice, action=DecisionAction.EDIT).exists()


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("3 Nov 2026", date(2026, 11, 3)),
        ("03 nov 2026", date(2026, 11, 3)),
        ("30 September 2026", date(2026, 9, 30)),
        ("2026-11-03", date(2026, 11, 3)),
        ("03/11/2026", date(2026, 11, 3)),
    ],
)
def test_a_day_field_reads_what_it_shows_and_the_usual_formats(typed: str, day: date) -> None:
    field = DayField(required=False)
    assert field.clean(typed) == day
    assert DayInput().format_value(day) == date_format(day, "DATE_FORMAT")


@pytest.mark.parametrize("typed", ["31 Feb 2026", "3 Nox 2026", "31/02/2026"])
def test_a_day_field_refuses_a_day_that_does_not_exist(typed: str) -> None:
    with pytest.raises(ValidationError):
        DayField(required=False).clean(typed)


def test_a_payment_document_s_execution_date_is_written_the_same_way(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    fields = {"amount": "1250.00", "currency": "EUR", "execution_date": "2026-11-02"}
    document = make_extracted_document(workspace, DocumentKind.WIRE_NOTICE, fields)
    screen = logged_in_client(reviewer).get(review_screen(document.pk)).content.decode()
    assert "2 Nov 2026" in screen
    assert "2026-11-02" not in screen


# --- a document's status -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "was", "shown"),
    [
        (DecisionAction.READ_AGAIN, DocumentStatus.FAILED, "Status: Failed → New"),
        (DecisionAction.NOT_DUPLICATE, DocumentStatus.DUPLICATE, "Status: Duplicate → New"),
    ],
)
def test_a_document_s_status_reads_as_the_document_s_label(
    workspace: Workspace,
    reviewer: AbstractUser,
    action: DecisionAction,
    was: DocumentStatus,
    shown: str,
) -> None:
    document = make_document(workspace)
    Decision.record(
        workspace=workspace.pk,
        action=action,
        actor=reviewer,
        document=document,
        before={"status": was.value},
        after={"status": DocumentStatus.NEW.value},
        reason="a person's decision",
    )
    client = logged_in_client(make_user(superuser=True))
    screen = client.get(review_screen(document.pk)).content.decode()
    page = client.get(reverse("admin:reconciliation_document_change", args=[document.pk]))
    assert shown in screen
    assert "Posting failed" not in screen
    # The page says where the document stands, as the Documents list does.
    assert '<div class="readonly">Read — no invoice yet</div>' in page.content.decode()


# --- a match's status --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "shown"),
    [
        (MatchStatus.REJECTED, "Status: Proposed — needs review → Rejected (not this one)"),
        (MatchStatus.REFUSED, "Status: Proposed — needs review → Refused / refund requested"),
    ],
)
def test_a_match_s_status_reads_as_the_match_s_label(
    workspace: Workspace, reviewer: AbstractUser, now: MatchStatus, shown: str
) -> None:
    """A decision about a match records the match's status (the invoice's, when it records one,
    under "invoice_status"): on the review screen's history and the invoice page's decisions,
    not the invoice's labels for the same values ("Rejected by Qonto", "Refused")."""
    invoice = make_invoice(workspace)
    match = make_match(workspace, invoice=invoice, document=invoice.document, status=now)
    Decision.record_for_match(
        match,
        DecisionAction.REFUSE,
        actor=reviewer,
        before={"status": MatchStatus.PROPOSED.value, "invoice_status": "needs_review"},
        after={"status": now.value, "invoice_status": "refused"},
        reason="a person's decision",
    )
    client = logged_in_client(make_user(superuser=True))
    screen = client.get(review_screen(invoice.document_id)).content.decode()
    page = client.get(reverse("admin:reconciliation_invoice_change", args=[invoice.pk]))
    for html in (screen, page.content.decode()):
        rows = re.findall(r">((?:Invoice status|Status): [^<]*)<", html)
        assert rows == [shown, "Invoice status: Needs review → Refused"]
