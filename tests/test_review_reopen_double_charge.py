"""Reopening an invoice refused as a double charge asks the question again: the refused
double charge is proposed once more, so the invoice can be released or refused."""

from __future__ import annotations

import pytest

from reconciliation import review
from reconciliation.matching import refuse_double_charge
from reconciliation.models import Connection
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from reconciliation.posting import post_approved
from reconciliation.posting.gate import is_gate_hit
from reconciliation.posting.gate import release
from tests.factories import make_user
from tests.posting_fixtures import seed_invoices
from tests.test_controls_gate import NUMBER
from tests.test_controls_gate import paid_by_hand

pytestmark = pytest.mark.django_db


def test_reopening_a_refused_gate_hit_offers_the_double_charge_again(
    workspace: Workspace, qonto: Connection
) -> None:
    rita = make_user("rita", workspace=workspace, role=Role.REVIEWER)
    [pk] = seed_invoices(workspace, 1, start=NUMBER, with_values=True)
    paid_by_hand(workspace, qonto)
    post_approved(workspace_id=workspace.pk, worker_id="worker-a")
    match = Match.objects.get(invoice_id=pk)
    refuse_double_charge(match=match, user=rita)

    review.reopen_invoice(invoice=Invoice.objects.get(pk=pk), user=rita, reason="paid twice?")

    match.refresh_from_db()
    invoice = Invoice.objects.get(pk=pk)
    assert (match.status, match.decided_by_id, is_gate_hit(match)) == (
        MatchStatus.PROPOSED,
        None,
        True,
    )
    assert (invoice.status, invoice.is_held) == (InvoiceStatus.NEEDS_REVIEW, True)
    recorded = Decision.objects.get(match=match, action=DecisionAction.REOPEN)
    assert (recorded.actor_id, recorded.before["status"], recorded.after["status"]) == (
        rita.pk,
        MatchStatus.REFUSED,
        MatchStatus.PROPOSED,
    )
    released = release(match=match, user=rita)
    assert (released.status, released.is_held) == (InvoiceStatus.APPROVED, False)
