"""The review screen and the queue lead with what actually holds a document for a person: a
vendor in training, a double charge — not a threshold the score reached — and the history
names each change and reason as the rest of the admin does."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.urls import reverse
from django.utils import timezone

from reconciliation.admin.decision_display import decision_changes
from reconciliation.invoices import reasons
from reconciliation.invoices.routing import route_invoice
from reconciliation.invoices.scoring import Score
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import InvoiceStatus
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace
from tests.factories import make_double_charge
from tests.factories import make_invoice
from tests.factories import make_routed_invoice
from tests.factories import make_vendor
from tests.helpers import logged_in_client
from tests.helpers import review_form
from tests.helpers import section
from tests.helpers import visible_text
from tests.test_review_screen import make_review_invoice

pytestmark = pytest.mark.django_db


def _why(body: str) -> list[str]:
    """The "Why it is here" reasons of a review screen, in order."""
    listed = section(body, "<h2>Why it is here</h2>", "</ul>")
    return [visible_text("<li" + item) for item in listed.split("<li")[1:]]


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
    assert why[1].startswith("Confidence 94.80 % reaches the auto-post threshold 85 %")
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
    # As routing stored them before it put the causes first.
    invoice.routing_reasons = [
        "Confidence 94.80% reaches the auto-post threshold 85.00% (workspace).",
        "Vendor “Northwind” is in training (4/10 reviewed).",
    ]
    invoice.save()
    why = _why(_screen(logged_in_client(reviewer), invoice.document))
    assert why[0] == "Vendor “Northwind” is in training (4/10 reviewed)."


def test_a_score_below_the_auto_post_threshold_is_a_cause_and_its_costs_come_after(
    workspace: Workspace,
) -> None:
    vendor = make_vendor(workspace, "Northwind", documents_reviewed=10)
    invoice = make_routed_invoice(workspace, vendor, "70.00")
    codes = [reasons.code_of(text) for text in invoice.routing_reasons]
    assert codes[0] == "below_auto_post_threshold"
    assert set(codes[1:]) <= {"score_cost"}


def test_a_double_charge_leads_and_has_one_name(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    vendor = make_vendor(workspace, "Tipografia Rossi", documents_reviewed=10)
    settled = make_invoice(workspace, vendor=vendor, status=InvoiceStatus.POSTED, number="110/2026")
    reminder = make_invoice(
        workspace, vendor=vendor, status=InvoiceStatus.NEW, confidence=None, number="110/2026"
    )
    reminder.hold("Payment reminder for invoice 110/2026, already received.")
    reminder.save()
    route_invoice(invoice=reminder, score=Score(value=Decimal("70.00")))
    make_double_charge(reminder, settled, hold_reason="Possible double charge of invoice 110/2026")
    client = logged_in_client(reviewer)
    body = _screen(client, reminder.document)
    why = _why(body)
    assert why[0] == "Held out of posting: Possible double charge of invoice 110/2026"
    assert why[1].startswith("Confidence 70 % is below the auto-post threshold 85 %")
    # The history's reasons name the reminder as what it is: a possible double charge.
    assert (
        "Reasons: — → Reminder of an invoice already received (possible double charge) / "
        "Below the auto-post threshold</li>"
    ) in body
    # The queue's filters and the dashboard call the double charge by one name.
    name = reasons.label("double_charge")
    assert name == "Double charge"
    queue = client.get(reverse("admin:reconciliation-review")).content.decode()
    # "By situation" (an open double-charge match) and "By routing reason" (what Well wrote,
    # as the Invoices list offers it): the same name in both.
    assert queue.count(f">{name}</a>") == 2


def test_approving_an_invoice_of_a_new_vendor_names_each_change(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    vendor = make_vendor(workspace, "ACME Supplies GmbH", status=VendorStatus.NEEDS_REVIEW)
    invoice = make_review_invoice(workspace, vendor=vendor)
    client = logged_in_client(reviewer)
    url = reverse("admin:reconciliation-review-document", args=[invoice.document.pk])
    assert client.post(url, review_form(invoice) | {"action": "approve"}).status_code == 302
    approval = Decision.objects.get(invoice=invoice, action=DecisionAction.APPROVE)
    rows = [(c.label, c.before, c.after) for c in decision_changes(approval)]
    assert rows == [
        ("Status", "Needs review", "Approved — waiting for the posting window"),
        ("Vendor status", "New — needs review", "Active"),
        ("Vendor VAT id", "—", "DE136695976"),
    ]
    body = _screen(client, invoice.document)
    assert "Vendor status: New — needs review → Active</li>" in body
    assert "Vendor: —" not in body


def test_the_due_date_of_a_double_charge_is_not_late(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    overdue = timezone.localdate() - timedelta(days=49)
    settled = make_invoice(workspace, status=InvoiceStatus.POSTED, number="110/2026")
    reminder = make_invoice(workspace, number="110/2026", due_date=overdue)
    make_double_charge(reminder, settled, hold_reason="Possible double charge of invoice 110/2026")
    other = make_invoice(workspace, number="111/2026", due_date=overdue)
    queue = logged_in_client(reviewer).get(reverse("admin:reconciliation-review"))
    body = queue.content.decode()
    day = f"{overdue:%d %b}"
    assert body.count(f"{day} (49 d late)") == 1  # the invoice still to pay: late
    assert f"{day} (already paid)" in body  # the double charge: never to pay
    assert other.number in body


def test_the_queue_filters_by_situation_and_by_routing_reason_without_overlap(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    vendor = make_vendor(workspace, "Northwind", documents_reviewed=4)
    training = make_routed_invoice(workspace, vendor, "94.80")
    trained = make_routed_invoice(
        workspace, make_vendor(workspace, "Old", documents_reviewed=10), "70"
    )
    client = logged_in_client(reviewer)
    queue = client.get(reverse("admin:reconciliation-review")).content.decode()
    assert "By situation" in queue
    assert "By routing reason" in queue
    assert "By reason code" not in queue
    for name in ("Vendor in training", "Payment to match", "Scanned, no text"):
        assert queue.count(f">{name}</a>") == 1, name
    assert queue.count(">Double charge</a>") == 2  # as the Invoices list, by routing reason too
    assert ">Below the auto-post threshold</a>" in queue  # a reason no situation covers
    # The dashboard's link by code still filters, and the code shows chosen.
    linked = client.get(reverse("admin:reconciliation-review") + "?code=vendor_in_training")
    body = linked.content.decode()
    assert training.document.original_name in body
    assert trained.document.original_name not in body
    chosen = r'class="selected">\s*<a href="\?code=vendor_in_training"'
    assert re.search(chosen, body)
