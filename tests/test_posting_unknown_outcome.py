from __future__ import annotations

import os

import pytest
from django.utils import timezone

from connectors.sandbox import QontoEmulator
from reconciliation.models import Invoice, InvoiceStatus, Workspace
from reconciliation.posting import post_approved, retry_invoice
from tests.test_posting_failures import (  # noqa: F401
    BULK,
    LIST,
    QUICK,
    READ_TIMEOUT,
    RetryBudget,
    invoice,
    outcomes,
    qonto,
    sent_keys,
)

pytestmark = pytest.mark.django_db


def test_a_local_refusal_does_not_erase_an_unknown_outcome(
    workspace: Workspace,
    invoice: Invoice,
    qonto_emulator: QontoEmulator,  # noqa: F811
) -> None:
    # Window 1: Qonto creates the invoice but the answer is lost, and the look-up fails.
    qonto_emulator.inject_fault(BULK, {"drop": "after_processing"}, method="POST")
    qonto_emulator.inject_fault(LIST, {"status": 503}, method="GET", count=20)
    post_approved(
        workspace_id=workspace.pk,
        worker_id="w1",
        budget=RetryBudget(max_rounds=2, base_delay=0.01, max_delay=0.05, seconds=5),
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.FAILED
    qonto_emulator.clear_faults()
    # Window 2: the stored file is momentarily unreadable -> refused locally (LOCAL attempt).
    path = invoice.document.file.path
    os.rename(path, path + ".away")
    Invoice.objects.filter(pk=invoice.pk).update(next_attempt_at=timezone.now())
    post_approved(workspace_id=workspace.pk, worker_id="w2", budget=QUICK)
    os.rename(path + ".away", path)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REJECTED
    # A reviewer clicks Retry; window 3 must look Qonto up before sending again.
    retry_invoice(invoice_id=invoice.pk, user=None)
    report = post_approved(workspace_id=workspace.pk, worker_id="w3", budget=QUICK)
    print(outcomes(invoice), report)
    assert report.resolved_by_lookup == 1, outcomes(invoice)
    assert sent_keys(qonto_emulator) == [invoice.idempotency_key]
