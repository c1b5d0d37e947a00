"""A customer's remittance advice (money sent to us) is linked to the inbound credit and the
receivable it pays, shown on the receivable, and sent to review when nothing fits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from reconciliation.matching import match_window
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Side
from reconciliation.models import Workspace
from tests.factories import make_extracted_document
from tests.factories import make_receivable
from tests.factories import make_transaction
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db

EXECUTED = date(2026, 11, 2)


def advice(workspace: Workspace, reference: str, amount: str = "1250.00") -> Document:
    """A customer's advice: the beneficiary is our company (the workspace "Acme SAS")."""
    fields = {
        "amount": amount,
        "currency": "EUR",
        "execution_date": EXECUTED.isoformat(),
        "beneficiary_name": "Acme SAS",
        "reference": reference,
    }
    return make_extracted_document(
        workspace, DocumentKind.WIRE_NOTICE, fields, original_name="advice-client.pdf"
    )


def credit(workspace: Workspace, **fields: Any) -> Any:
    fields.setdefault("amount", Decimal("1250.00"))
    return make_transaction(
        workspace,
        side=Side.CREDIT,
        counterparty_name="Client SARL",
        reference=fields.pop("reference", "VIR CLIENT SARL"),
        value_date=date(2026, 11, 4),
        **fields,
    )


def test_an_advice_is_linked_to_its_credit_and_receivable(workspace: Workspace) -> None:
    receivable = make_receivable(workspace, reference="INV-2026-0042", amount=Decimal("1250"))
    money = credit(workspace)
    document = advice(workspace, "Payment of invoice inv 2026/42")
    match_window(workspace_id=workspace.pk, today=date(2026, 11, 5))
    link = Match.objects.get(document=document, kind=MatchKind.REMITTANCE_CREDIT)
    assert (link.status, link.transaction_id, link.receivable_id, link.matched_amount) == (
        MatchStatus.CONFIRMED,
        money.pk,
        receivable.pk,
        Decimal("1250.000"),
    )
    assert not Match.objects.filter(document=document, kind=MatchKind.CONFIRMATION_DEBIT)
    decision = Decision.objects.get(document=document, action=DecisionAction.PICK_MATCH)
    assert (decision.actor, decision.after) == (
        None,
        {"receivable": "INV-2026-0042", "transaction": money.qonto_id},
    )
    admin = make_user("ada", workspace=workspace, role=Role.ADMIN)
    page = logged_in_client(admin).get(
        reverse("admin:reconciliation_receivable_change", args=[receivable.pk])
    )
    body = page.content.decode()
    section = body[body.index('id="well-remittances"') :]
    assert "advice-client.pdf" in section
    assert "1,250.00 EUR" in section


def test_an_advice_nothing_fits_goes_to_review_after_its_window(workspace: Workspace) -> None:
    document = advice(workspace, "INV-2026-0099")
    match_window(workspace_id=workspace.pk, today=date(2026, 11, 9))
    document.refresh_from_db()
    assert document.review_reason == ""
    match_window(workspace_id=workspace.pk, today=date(2026, 11, 10))
    document.refresh_from_db()
    reason = "Customer remittance advice: no receivable has the reference “INV-2026-0099”."
    assert document.review_reason == reason
    assert Decision.objects.get(document=document, action=DecisionAction.SEND_TO_REVIEW).reason == (
        reason
    )
    reviewer = make_user("rita", workspace=workspace, role=Role.REVIEWER)
    queue = logged_in_client(reviewer).get(reverse("admin:reconciliation-review"))
    assert [d.pk for d in queue.context["cl"].result_list] == [document.pk]


def test_a_receivable_without_its_credit_says_so_and_a_late_credit_links_it(
    workspace: Workspace,
) -> None:
    receivable = make_receivable(workspace, reference="INV-2026-0042", amount=Decimal("1250"))
    document = advice(workspace, "INV-2026-0042")
    match_window(workspace_id=workspace.pk, today=date(2026, 11, 12))
    document.refresh_from_db()
    assert document.review_reason == (
        "Customer remittance advice for INV-2026-0042: no credit of 1,250.00 EUR found "
        "within 7 days."
    )
    money = credit(workspace)
    match_window(workspace_id=workspace.pk, today=date(2026, 11, 13))
    document.refresh_from_db()
    assert document.review_reason == ""
    link = Match.objects.get(document=document, kind=MatchKind.REMITTANCE_CREDIT)
    assert (link.transaction_id, link.receivable_id) == (money.pk, receivable.pk)
