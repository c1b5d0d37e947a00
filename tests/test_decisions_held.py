"""A hold says in words what it held, in the decisions export's "Changes" and on the decision's
page, even where it recorded no values before → after (a second payment confirmation of a
settled invoice: Well raises a double-charge flag for a person)."""

from __future__ import annotations

import pytest
from django.contrib.admin import site
from django.test import RequestFactory
from django.urls import reverse

from reconciliation.admin.documents import DecisionInline
from reconciliation.admin.review_screen import history_of
from reconciliation.matching import match_window
from reconciliation.models import Connection
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from reconciliation.reports.decision_log import DecisionLogResource
from reconciliation.reports.spreadsheets import column_header
from tests.factories import make_double_charge
from tests.factories import make_invoice
from tests.factories import make_user
from tests.helpers import logged_in_client
from tests.helpers import readonly_value
from tests.test_matching_confirmations import ACME_IBAN
from tests.test_matching_confirmations import TODAY
from tests.test_matching_confirmations import payment_document
from tests.test_matching_double_charges import settled_invoice

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.plugins.matching"]


#: A second payment confirmation of the invoice `settled_invoice` made, paid and settled.
SECOND_CONFIRMATION = {
    "amount": "1250.00",
    "currency": "EUR",
    "execution_date": "2026-11-24",
    "beneficiary_name": "ACME Supplies GmbH",
    "beneficiary_iban": ACME_IBAN,
    "reference": "INV-2026-0042",
}


def _held_by_a_second_confirmation(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> Decision:
    settled_invoice(workspace, bank, acme)
    payment_document(workspace, **SECOND_CONFIRMATION)
    match_window(workspace_id=workspace.pk, today=TODAY)
    return Decision.objects.get(action=DecisionAction.HOLD)


def _exported_changes(decision: Decision) -> str:
    """The decision's "Changes" cell in the decisions export."""
    dataset = DecisionLogResource().export(queryset=Decision.objects.filter(pk=decision.pk))
    [row] = dataset.dict
    return str(row[column_header("changes")])


def test_a_flag_s_hold_says_what_it_held_in_the_export(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    decision = _held_by_a_second_confirmation(workspace, bank, acme)
    assert (decision.before, decision.after) == ({}, {})  # nothing recorded either side
    assert _exported_changes(decision) == "Held for a person: — → Double charge flag to answer"


def test_a_flag_s_hold_says_what_it_held_on_its_page(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    decision = _held_by_a_second_confirmation(workspace, bank, acme)
    client = logged_in_client(make_user(superuser=True))

    page = client.get(reverse("admin:reconciliation_decision_change", args=[decision.pk]))

    assert readonly_value(page.content.decode(), "what_changed") == (
        "Held for a person: — → Double charge flag to answer"
    )


def test_an_invoice_s_hold_that_recorded_nothing_says_it_is_held_out_of_posting(
    workspace: Workspace,
) -> None:
    invoice = make_invoice(workspace)
    decision = Decision.record_for_invoice(invoice, DecisionAction.HOLD, actor=None)
    assert _exported_changes(decision) == "Held out of posting: — → Yes"


def test_a_flag_s_hold_reads_the_same_in_the_review_history_and_the_invoice_s_decisions(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    """Both lists read each decision with its match, so the hold names the flag's kind there too."""
    decision = _held_by_a_second_confirmation(workspace, bank, acme)
    assert decision.document is not None
    history = history_of(decision.document, decision.invoice)
    [held] = [entry for entry in history if entry.decision.pk == decision.pk]
    assert [(c.label, c.after) for c in held.changes] == [
        ("Held for a person", "Double charge flag to answer")
    ]
    inline = DecisionInline(Invoice, site)
    request = RequestFactory().get("/")
    request.user = make_user(superuser=True)
    [row] = inline.get_queryset(request).filter(pk=decision.pk)
    assert "Double charge flag to answer" in inline.changed(row)


def test_a_hold_of_an_invoice_already_held_names_its_flag_not_not_recorded(
    workspace: Workspace,
) -> None:
    """A second flag on an invoice already held: before and after are the same, so the hold
    says what it held, never "not recorded" for a row its values never had."""
    invoice = make_invoice(workspace, status=InvoiceStatus.NEEDS_REVIEW, is_held=True)
    held = {"status": InvoiceStatus.NEEDS_REVIEW, "is_held": True}
    decision = Decision.record_for_invoice(
        invoice,
        DecisionAction.HOLD,
        actor=None,
        match=make_double_charge(invoice, hold_reason="double"),
        before=held,
        after=held,
    )
    assert _exported_changes(decision) == "Held for a person: — → Double charge flag to answer"
