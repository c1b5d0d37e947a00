"""Decisions as finance people read them: one row per field with its label and a formatted
value, on the review screen's history and on the invoice page (one helper for both)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from reconciliation.admin.decision_display import changes
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import InvoiceStatus
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_user
from tests.helpers import logged_in_client
from tests.helpers import readonly_value

pytestmark = pytest.mark.django_db


def test_changes_carry_labels_and_formatted_values() -> None:
    rows = changes(
        {"status": "new", "total_amount": "119.00", "issue_date": "2026-11-02"},
        {
            "status": "needs_review",
            "total_amount": "120.5",
            "issue_date": "2026-11-03",
            "reason_codes": ["score_cost"],
            "confidence": "97.72",
        },
        currency="EUR",
    )
    shown = {row.label: (row.before, row.after) for row in rows}
    assert shown["Status"] == ("New", "Needs review")
    assert shown["Total"] == ("119.00 EUR", "120.50 EUR")
    assert shown["Issue date"] == ("2 Nov 2026", "3 Nov 2026")
    assert shown["Confidence"] == ("—", "97.72 %")
    assert "score_cost" not in shown["Reasons"][1]


def _decide(workspace: Workspace) -> tuple[str, str]:
    invoice = make_invoice(workspace, status=InvoiceStatus.POSTED, total_amount=Decimal("119"))
    Decision.record_for_invoice(
        invoice,
        DecisionAction.EDIT,
        actor=None,
        before={"status": "new", "ledger_account": ""},
        after={"status": "needs_review", "ledger_account": "651100", "total_amount": "119.00"},
        reason="test",
    )
    return (
        reverse("admin:reconciliation_invoice_change", args=[invoice.pk]),
        reverse("admin:reconciliation-review-document", args=[invoice.document_id]),
    )


def test_invoice_page_and_review_history_show_the_same_rows(workspace: Workspace) -> None:
    invoice_page, review_screen = _decide(workspace)
    client = logged_in_client(make_user(superuser=True))
    for url in (invoice_page, review_screen):
        body = client.get(url).content.decode()
        assert "Status: New → Needs review" in body
        assert "Ledger account: — → 651100" in body
        assert "Total: — → 119.00 EUR" in body
        assert "needs_review" not in body.split("Status: New")[1][:40]
        assert "{&quot;status&quot;" not in body


ACTOR_CELL = r'<td class="field-actor_name">(.*?)</td>'


def test_the_decisions_list_calls_wells_own_decisions_well(workspace: Workspace) -> None:
    """As the invoice page and the export do: Actor "Well", and the "By actor" filter offers
    "Well", never the admin's bare "-"."""
    _decide(workspace)
    reviewer = make_user("paula", workspace=workspace)
    invoice = make_invoice(workspace)
    Decision.record_for_invoice(
        invoice, DecisionAction.EDIT, actor=reviewer, before={}, after={}, reason="by hand"
    )
    client = logged_in_client(make_user(superuser=True))
    url = reverse("admin:reconciliation_decision_changelist")
    body = client.get(url).content.decode()
    actors = re.findall(ACTOR_CELL, body)
    assert sorted(actors) == ["Well", "paula"]
    choices = re.findall(r'<option value="\?[^"]*actor[^"]*"[^>]*>\s*(.*?)\s*</option>', body)
    choices += re.findall(r'<a href="\?[^"]*actor[^"]*"[^>]*>\s*(.*?)\s*</a>', body)
    assert "Well" in choices
    assert "-" not in choices
    assert "paula" in choices
    only_well = client.get(url + "?actor__isnull=True").content.decode()
    assert re.findall(ACTOR_CELL, only_well) == ["Well"]


def test_a_decision_s_page_calls_wells_own_decision_well(workspace: Workspace) -> None:
    _decide(workspace)
    decision = Decision.objects.filter(actor__isnull=True).first()
    assert decision is not None
    client = logged_in_client(make_user(superuser=True))

    body = client.get(reverse("admin:reconciliation_decision_change", args=[decision.pk]))

    content = body.content.decode()
    assert readonly_value(content, "actor_name") == "Well"
    assert 'class="form-row field-actor"' not in content  # the bare "-" row is gone
