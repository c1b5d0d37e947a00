"""Refused is not final: a reviewer or an administrator reopens a refused invoice (with a
reason), on the review screen or as a bulk action of the invoice list, and it is recorded."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.urls import reverse
from django.utils import timezone

from reconciliation import review
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_user
from tests.helpers import filter_choices
from tests.helpers import logged_in_client
from tests.helpers import review_screen

pytestmark = pytest.mark.django_db


def _refused_by_threshold(workspace: Workspace, **fields: object) -> Invoice:
    return make_invoice(
        workspace,
        status=InvoiceStatus.REFUSED,
        routing_reasons=["Confidence 41.0 below the review threshold 55"],
        **fields,
    )


def _refused_by_person(workspace: Workspace, user: AbstractUser) -> Invoice:
    return make_invoice(
        workspace,
        status=InvoiceStatus.REFUSED,
        decided_by=user,
        decided_at=timezone.now(),
        decision_reason="Not our order",
    )


def test_reopen_on_the_review_screen_needs_a_reason_and_is_in_the_history(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    invoice = _refused_by_threshold(workspace)
    client = logged_in_client(reviewer)
    screen = review_screen(invoice.document_id)
    page = client.get(screen).content.decode()
    assert "Refused by Well on its own" in page
    assert 'value="reopen"' in page

    response = client.post(screen, {"action": "reopen", "reason": ""})
    assert response.status_code == 200
    assert "Say why it is reopened (a few words)." in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REFUSED

    response = client.post(
        screen, {"action": "reopen", "reason": "The total is readable on page 2"}
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.decided_by, invoice.decision_reason) == (
        InvoiceStatus.NEEDS_REVIEW,
        reviewer,
        "The total is readable on page 2",
    )
    assert invoice.routing_reasons[0] == "Reopened by rita: The total is readable on page 2"
    decision = Decision.objects.get(invoice=invoice)
    assert (decision.action, decision.actor, decision.before, decision.after) == (
        DecisionAction.REOPEN,
        reviewer,
        {"status": "refused", "refused_by": "threshold", "decision_reason": ""},
        {"status": "needs_review"},
    )
    history = client.get(screen).content.decode()
    history = history[history.index('id="well-history"') :]
    assert "<strong>rita</strong> · Reopened" in history
    assert "The total is readable on page 2" in history
    queue = client.get(reverse("admin:reconciliation-review")).content.decode()
    assert "Reopened by rita: The total is readable on page 2" in queue


def test_an_auditor_cannot_reopen(workspace: Workspace) -> None:
    auditor = make_user("audrey", workspace=workspace, role=Role.AUDITOR)
    invoice = _refused_by_threshold(workspace)
    screen = review_screen(invoice.document_id)
    client = logged_in_client(auditor)
    assert 'value="reopen"' not in client.get(screen).content.decode()
    response = client.post(screen, {"action": "reopen", "reason": "try"})
    assert response.status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REFUSED


def test_only_a_refused_invoice_is_reopened(workspace: Workspace) -> None:
    reviewer = make_user(workspace=workspace, role=Role.REVIEWER)
    invoice = make_invoice(workspace, status=InvoiceStatus.APPROVED)
    with pytest.raises(review.ReviewError, match="Only a refused invoice can be reopened"):
        review.reopen_invoice(invoice=invoice, user=reviewer, reason="why not")
    assert not Decision.objects.filter(invoice=invoice).exists()


def test_refused_by_the_threshold_and_by_a_person_are_listed_apart(workspace: Workspace) -> None:
    admin = make_user("ada", workspace=workspace, role=Role.ADMIN)
    by_threshold = [_refused_by_threshold(workspace), _refused_by_threshold(workspace)]
    by_person = _refused_by_person(workspace, admin)
    make_invoice(workspace, status=InvoiceStatus.NEEDS_REVIEW)
    client = logged_in_client(admin)
    url = reverse("admin:reconciliation_invoice_changelist")
    page = client.get(url).content.decode()
    assert filter_choices(page, "who refused") == [
        "All [chosen]",
        "Well, below the review threshold (2)",
        "A person (1)",
    ]
    listed = client.get(url, {"refused_by": "threshold"}).context["cl"].result_list
    assert sorted(i.pk for i in listed) == sorted(i.pk for i in by_threshold)
    listed = client.get(url, {"refused_by": "person"}).context["cl"].result_list
    assert [i.pk for i in listed] == [by_person.pk]


def test_sweep_the_threshold_refusals_back_to_review(workspace: Workspace) -> None:
    admin = make_user("ada", workspace=workspace, role=Role.ADMIN)
    swept = [_refused_by_threshold(workspace), _refused_by_threshold(workspace)]
    url = reverse("admin:reconciliation_invoice_changelist") + "?refused_by=threshold"
    client = logged_in_client(admin)
    selection = {"action": "reopen_selected", "_selected_action": [i.pk for i in swept]}
    page = client.post(url, selection)
    assert page.status_code == 200
    assert "Send these 2 refused invoices back to the review queue?" in page.content.decode()
    response = client.post(url, selection | {"post": "yes", "reason": "Thresholds lowered"})
    assert response.status_code == 302
    for invoice in swept:
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.NEEDS_REVIEW
    decisions = Decision.objects.filter(action=DecisionAction.REOPEN).order_by("invoice_id")
    assert [(d.invoice_id, d.actor_id, d.reason) for d in decisions] == [
        (i.pk, admin.pk, "Thresholds lowered") for i in sorted(swept, key=lambda i: i.pk)
    ]
