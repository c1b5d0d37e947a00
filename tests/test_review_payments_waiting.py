"""A payment confirmation with no debit is listed as waiting for its debit (with its age), is
tried again at every window, and after the workspace's window goes to review with the reason
"no debit found within N days"; a debit found later takes it out of the queue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.urls import reverse

from reconciliation import review
from reconciliation.matching import match_window
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Side
from reconciliation.models import Workspace
from tests.factories import make_extracted_document
from tests.factories import make_transaction
from tests.helpers import logged_in_client
from tests.helpers import review_screen

pytestmark = pytest.mark.django_db

EXECUTED = date(2026, 11, 2)


def payment_document(workspace: Workspace, **fields: Any) -> Document:
    return make_extracted_document(
        workspace,
        DocumentKind.PAYMENT_CONFIRMATION,
        fields,
        original_name="transfer-acme.pdf",
    )


def _confirmation(workspace: Workspace) -> Document:
    return payment_document(
        workspace,
        amount="1283.44",
        currency="EUR",
        execution_date=EXECUTED.isoformat(),
        beneficiary_name="Initech GmbH",
        beneficiary_iban="DE89370400440532013000",
        reference="RE-2026-0815",
    )


def test_a_payment_without_debit_waits_then_goes_to_review(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    document = _confirmation(workspace)
    client = logged_in_client(reviewer)
    documents = reverse("admin:reconciliation_document_changelist")
    listed = client.get(documents, {"stuck": "waiting_for_debit"}).context["cl"].result_list
    assert [d.pk for d in listed] == [document.pk]

    match_window(workspace_id=workspace.pk, today=date(2026, 11, 9))  # day 7: still waiting
    document.refresh_from_db()
    assert document.review_reason == ""
    match_window(workspace_id=workspace.pk, today=date(2026, 11, 10))  # day 8: window passed
    document.refresh_from_db()
    assert document.review_reason == "No debit found within 7 days."
    decision = Decision.objects.get(document=document, action=DecisionAction.SEND_TO_REVIEW)
    assert (decision.actor, decision.reason) == (None, "No debit found within 7 days.")
    assert (
        list(client.get(documents, {"stuck": "waiting_for_debit"}).context["cl"].result_list) == []
    )
    listed = client.get(documents, {"stuck": "nothing_fits"}).context["cl"].result_list
    assert [d.pk for d in listed] == [document.pk]

    queue = client.get(reverse("admin:reconciliation-review"))
    assert [d.pk for d in queue.context["cl"].result_list] == [document.pk]
    assert "No debit found within 7 days." in queue.content.decode()
    screen = review_screen(document.pk)
    page = client.get(screen).content.decode()
    assert "Nothing fits this document" in page
    assert "<strong>Well</strong> · Sent to review" in page
    assert "1,283.44 EUR" in page  # the amount in the currency's minor units


def test_a_debit_found_later_takes_it_out_of_the_queue(workspace: Workspace) -> None:
    document = _confirmation(workspace)
    match_window(workspace_id=workspace.pk, today=date(2026, 11, 20))
    document.refresh_from_db()
    assert document.review_reason == "No debit found within 7 days."
    make_transaction(
        workspace,
        side=Side.DEBIT,
        amount=Decimal("1283.44"),
        local_amount=Decimal("1283.44"),
        local_currency="EUR",
        counterparty_name="Initech GmbH",
        counterparty_iban="DE89370400440532013000",
        reference="RE-2026-0815",
        value_date=EXECUTED,
    )
    match_window(workspace_id=workspace.pk, today=date(2026, 11, 21))
    document.refresh_from_db()
    assert document.review_reason == ""
    assert document.matches.filter(
        kind=MatchKind.CONFIRMATION_DEBIT,
        status__in=(MatchStatus.PROPOSED, MatchStatus.CONFIRMED),
    ).exists()


def test_a_reviewer_sets_it_aside_with_a_reason(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    document = _confirmation(workspace)
    match_window(workspace_id=workspace.pk, today=date(2026, 11, 20))
    client = logged_in_client(reviewer)
    screen = review_screen(document.pk)
    client.post(screen, {"action": "set_aside", "reason": ""})
    document.refresh_from_db()
    assert document.review_reason == "No debit found within 7 days."
    response = client.post(screen, {"action": "set_aside", "reason": "Paid by card instead"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.review_reason == ""
    decision = Decision.objects.get(document=document, action=DecisionAction.SET_ASIDE)
    assert (decision.actor, decision.reason, decision.before) == (
        reviewer,
        "Paid by card instead",
        {"review_reason": "No debit found within 7 days."},
    )
    with pytest.raises(review.ReviewError, match="not waiting for a person"):
        review.set_aside(document=document, user=reviewer, reason="again")
