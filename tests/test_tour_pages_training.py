"""The training count in the "why" text is the vendor's count now, not the one stored when
the invoice was routed: the queue's Why column and the review screen agree with the queue's
vendor column after a review."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from reconciliation.models import InvoiceStatus
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_vendor

pytestmark = pytest.mark.django_db


def test_why_text_shows_the_live_training_count(
    workspace: Workspace, reviewer_client: Client
) -> None:
    vendor = make_vendor(workspace, name="Northwind", documents_reviewed=4)
    invoice = make_invoice(
        workspace,
        vendor=vendor,
        status=InvoiceStatus.NEEDS_REVIEW,
        routing_reasons=["Vendor “Northwind” is in training (4/10 reviewed)."],
    )
    vendor.documents_reviewed = 5  # another Northwind invoice was approved since
    vendor.save(update_fields=["documents_reviewed"])
    queue = reviewer_client.get(reverse("admin:reconciliation-review")).content.decode()
    screen = reviewer_client.get(
        reverse("admin:reconciliation-review-document", args=[invoice.document_id])
    ).content.decode()
    for body in (queue, screen):
        assert "(5/10 reviewed)" in body
        assert "(4/10 reviewed)" not in body
    assert "training 5/10" in queue
