"""The invoice export lists the reasons an invoice is where it is: never "where the score lost
points" (the detail of a reason, not a reason), and "Auto-post threshold reached" only for an
invoice Well approved itself (routing writes it for every score that reaches the threshold,
even when a policy or a hold then sends the invoice to a person, who may refuse it)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest

from reconciliation.admin.resources import InvoiceResource
from reconciliation.invoices.reasons import Reason
from reconciliation.invoices.reasons import sentence
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_user

pytestmark = pytest.mark.django_db

DECIDED = datetime(2026, 11, 20, 10, tzinfo=UTC)
REACHED = sentence("auto_post_threshold_reached", value="94.8", threshold="90", source="workspace")
BELOW = sentence("below_auto_post_threshold", value="58.6", threshold="90", source="workspace")
TRAINING = sentence("vendor_in_training", vendor="Northwind", progress="2/3")
COST = sentence("score_cost", points="4.0", label="Vendor", detail="new vendor")


def exported(invoice: Invoice) -> tuple[str, str]:
    [row] = InvoiceResource().export(queryset=Invoice.objects.filter(pk=invoice.pk)).dict
    return row["Reason codes"], row["Reason labels"]


@pytest.mark.parametrize(
    ("status", "by_reviewer", "reasons", "expected"),
    [
        (
            InvoiceStatus.NEEDS_REVIEW,
            False,
            (REACHED, TRAINING, COST),
            ("vendor_in_training", "Vendor in training"),
        ),
        (
            InvoiceStatus.REFUSED,
            True,
            (REACHED, TRAINING, COST),
            ("vendor_in_training", "Vendor in training"),
        ),
        (
            InvoiceStatus.POSTED,
            True,
            (REACHED, TRAINING, COST),
            ("vendor_in_training", "Vendor in training"),
        ),
        (
            InvoiceStatus.NEEDS_REVIEW,
            False,
            (BELOW, COST),
            ("below_auto_post_threshold", "Below the auto-post threshold"),
        ),
        (
            InvoiceStatus.POSTED,
            False,
            (REACHED,),
            ("auto_post_threshold_reached", "Auto-post threshold reached"),
        ),
    ],
)
def test_the_reasons_listed(
    workspace: Workspace,
    status: str,
    by_reviewer: bool,
    reasons: tuple[Reason, ...],
    expected: tuple[str, str],
) -> None:
    decided = status != InvoiceStatus.NEEDS_REVIEW
    invoice = make_invoice(
        workspace,
        status=status,
        routing_reasons=[reason.text for reason in reasons],
        decided_at=DECIDED if decided else None,
        decided_by=make_user("rita", workspace=workspace, role=Role.REVIEWER)
        if by_reviewer
        else None,
    )

    assert exported(invoice) == expected
