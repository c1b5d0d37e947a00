"""Integration status: "Posted, not read by Qonto yet" counts the invoices whose Qonto reading
is awaited (uploaded or linked by this Well), not the demo's history posted before the demo
began (no origin: it is in no Qonto this Well reads back). One rule for the count, the
invoice list's filter and the invoice page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from reconciliation.admin.qonto_panel import qonto_readback
from reconciliation.models import InvoiceStatus
from reconciliation.models import QontoOrigin
from reconciliation.models import Workspace
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db


def test_only_awaited_readings_are_counted(workspace: Workspace, reviewer_client: Client) -> None:
    posted = {"status": InvoiceStatus.POSTED}
    make_invoice(workspace, **posted, qonto_id="q1", qonto_origin=QontoOrigin.UPLOADED)
    make_invoice(workspace, **posted, qonto_id="q2", qonto_origin=QontoOrigin.LINKED)
    history = make_invoice(workspace, **posted, qonto_id="q3", qonto_origin="")
    make_invoice(
        workspace, **posted, qonto_id="q4", qonto_origin=QontoOrigin.UPLOADED, qonto_agrees=True
    )
    body = reviewer_client.get(reverse("admin:reconciliation-integration-status")).content
    assert b"<tr><th>Posted, not read by Qonto yet</th><td>2</td>" in body
    invoices = reverse("admin:reconciliation_invoice_changelist")
    listed = reviewer_client.get(f"{invoices}?qonto=unread")
    assert listed.context["cl"].result_count == 2
    assert str(qonto_readback(history)) == "—"
