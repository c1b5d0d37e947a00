"""The review screen of a double charge offers one refusal: the panel's "Refuse the double
charge" beside "Not a duplicate", not a second "Refuse…" under the fields. Both kinds of double
charge: one matched after payment, and one the pre-post gate caught."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.urls import reverse

from reconciliation.invoices.reasons import sentence
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from reconciliation.posting.gate import is_gate_hit
from tests.factories import make_double_charge
from tests.factories import make_invoice
from tests.factories import make_transaction
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def matched_after_payment(workspace: Workspace) -> Invoice:
    settled = make_invoice(workspace, status=InvoiceStatus.POSTED, number="INV-7")
    repeat = make_invoice(workspace, status=InvoiceStatus.NEEDS_REVIEW, number="INV-7")
    make_double_charge(
        repeat,
        settled,
        hold_reason=sentence("double_charge", number="INV-7").text,
        transaction=make_transaction(workspace),
        reasons=["same issuer and invoice number INV-7"],
    )
    return repeat


def caught_by_the_gate(workspace: Workspace) -> Invoice:
    """Approved, then held by the gate before posting: the bank already paid it by hand."""
    invoice = make_invoice(workspace, status=InvoiceStatus.APPROVED, number="H-7")
    flag = sentence("possible_double_payment", what="the bank already paid 107.40 EUR")
    match = make_double_charge(
        invoice,
        hold_reason=flag.text,
        transaction=make_transaction(workspace),
        reasons=[flag.text],
    )
    assert is_gate_hit(match)
    return invoice


def refusals(workspace: Workspace, invoice: Invoice) -> list[str]:
    """Every control of the invoice's review screen that refuses or opens a refusal."""
    client = logged_in_client(make_user("rita", workspace=workspace, role=Role.REVIEWER))
    url = reverse("admin:reconciliation-review-document", args=[invoice.document_id])
    body = client.get(url).content.decode()
    return re.findall(r'data-well-(?:action="refuse[^"]*"|reveal="well-refuse")', body)


@pytest.mark.parametrize("double_charge", [matched_after_payment, caught_by_the_gate])
def test_a_double_charge_has_one_refuse_action(
    workspace: Workspace, double_charge: Callable[[Workspace], Invoice]
) -> None:
    invoice = double_charge(workspace)

    assert refusals(workspace, invoice) == ['data-well-action="refuse-double"']


def test_an_invoice_in_review_keeps_its_refuse_form(workspace: Workspace) -> None:
    invoice = make_invoice(workspace, status=InvoiceStatus.NEEDS_REVIEW, number="INV-8")

    assert refusals(workspace, invoice) == [
        'data-well-reveal="well-refuse"',
        'data-well-action="refuse"',
    ]
