"""The review screen and the queue lead with what actually holds a document for a person: a
vendor in training, a double charge — not a threshold the score reached — and the history
names each change and reason as the rest of the admin does."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.urls import reverse

from reconciliation.invoices import reasons
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import Workspace
from tests.factories import make_routed_invoice
from tests.factories import make_vendor
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def _why(body: str) -> list[str]:
    """The "Why it is here" reasons of a review screen, in order."""
    section = body.split("<h2>Why it is here</h2>", 1)[1].split("</ul>", 1)[0]
    return [re.sub(r"<[^>]+>", "", "<li" + item).strip() for item in section.split("<li")[1:]]


def _screen(client: object, document: Document) -> str:
    url = reverse("admin:reconciliation-review-document", args=[document.pk])
    return client.get(url).content.decode()  # type: ignore[attr-defined, no-any-return]


def test_a_vendor_in_training_leads_not_the_threshold_it_reached(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    vendor = make_vendor(workspace, "Northwind", documents_reviewed=4)
    invoice = make_routed_invoice(workspace, vendor, "94.80")
    assert [reasons.code_of(r) for r in invoice.routing_reasons] == [
        "vendor_in_training",
        "auto_post_threshold_reached",
    ]
    why = _why(_screen(logged_in_client(reviewer), invoice.document))
    assert why[0] == "Vendor “Northwind” is in training (4/10 reviewed)."
    assert why[1].startswith("Confidence 94.80% reaches the auto-post threshold")
    route = Decision.objects.get(invoice=invoice, action=DecisionAction.ROUTE)
    assert route.after["reason_codes"][0] == "vendor_in_training"
    # The history's reasons: the cause, not "Auto-post threshold reached" (it approved nothing).
    assert "Reasons: — → Vendor in training</li>" in _screen(
        logged_in_client(reviewer), invoice.document
    )


def test_an_invoice_routed_before_the_order_still_shows_the_cause_first(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    vendor = make_vendor(workspace, "Northwind", documents_reviewed=4)
    invoice = make_routed_invoice(workspace, vendor, "94.80")
    invoice.routing_reasons = list(reversed(invoice.routing_reasons))  # as stored before
    invoice.save()
    why = _why(_screen(logged_in_client(reviewer), invoice.document))
    assert why[0] == "Vendor “Northwind” is in training (4/10 reviewed)."


def test_a_score_below_the_auto_post_threshold_is_a_cause_and_its_costs_come_after(
    workspace: Workspace,
) -> None:
    vendor = make_vendor(workspace, "Northwind", documents_reviewed=10)
    invoice = make_routed_invoice(workspace, vendor, "70.00")
    assert reasons.code_of(invoice.routing_reasons[0]) == "below_auto_post_threshold"
    assert Decimal(invoice.confidence) == Decimal("70.00")
