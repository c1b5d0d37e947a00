"""The Match admin's "Not a duplicate" on a hit of the pre-post gate releases it the way the
review screen does: the invoice goes back to the outbox, not to review."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reconciliation.invoices.reasons import sentence
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchStatus
from reconciliation.models import Workspace
from tests.factories import make_double_charge
from tests.factories import make_invoice
from tests.test_matching_admin import login

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:reconciliation_match_changelist")


def gate_hit(workspace: Workspace, number: str) -> Match:
    """An invoice the gate held before posting: Well already has it under another spelling."""
    settled = make_invoice(workspace, number=f"{number}-A", status=InvoiceStatus.POSTED)
    held = make_invoice(workspace, number=number)
    text = sentence("possible_double_payment", what=f"invoice {number} may already be posted")
    return make_double_charge(held, settled, hold_reason=text.text, reasons=[text.text])


def test_not_a_duplicate_on_a_gate_hit_returns_the_invoice_to_the_outbox(
    workspace: Workspace,
) -> None:
    hit = gate_hit(workspace, "INV-7")
    client, user_id = login(workspace)

    client.post(
        reverse("admin:reconciliation_match_not_duplicate", args=[hit.pk]),
        HTTP_REFERER="http://testserver" + CHANGELIST,
    )

    hit.refresh_from_db()
    invoice = Invoice.objects.get(pk=hit.invoice_id or 0)
    assert (hit.status, hit.decided_by_id) == (MatchStatus.DISMISSED, user_id)
    assert (invoice.status, invoice.is_held, invoice.decided_by_id) == (
        InvoiceStatus.APPROVED,
        False,
        user_id,
    )
    assert list(
        Decision.objects.filter(invoice=invoice).order_by("pk").values_list("action", flat=True)
    ) == [DecisionAction.NOT_DUPLICATE, DecisionAction.APPROVE]


def test_the_bulk_not_a_duplicate_releases_gate_hits_to_the_outbox(
    workspace: Workspace,
) -> None:
    hits = [gate_hit(workspace, "INV-7"), gate_hit(workspace, "INV-8")]
    client, _ = login(workspace)

    client.post(
        CHANGELIST,
        {"action": "not_duplicate_selected", "_selected_action": [h.pk for h in hits]},
    )

    invoices = Invoice.objects.filter(pk__in=[h.invoice_id for h in hits]).order_by("pk")
    assert [(i.status, i.is_held) for i in invoices] == [
        (InvoiceStatus.APPROVED, False),
        (InvoiceStatus.APPROVED, False),
    ]
