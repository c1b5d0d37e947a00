"""Rejected by Qonto → fixed → one click on Retry → posted in the next window, with a new attempt
row; and the attempt rows themselves can never be rewritten once finished."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from connectors.sandbox import QontoEmulator
from reconciliation.models import AppendOnlyError
from reconciliation.models import Connection
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import Role
from reconciliation.models import Workspace
from reconciliation.posting import post_approved
from tests.factories import make_user
from tests.helpers import logged_in_client
from tests.posting_fixtures import seed_invoices

pytestmark = pytest.mark.django_db


def test_rejected_then_fixed_then_retried(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    [pk] = seed_invoices(workspace, 1)
    invoice = Invoice.objects.get(pk=pk)
    qonto_emulator.inject_item_errors(
        code="invalid", detail="File is empty", idempotency_keys=[invoice.idempotency_key]
    )
    post_approved(workspace_id=workspace.pk, worker_id="worker-a")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.last_error) == (InvoiceStatus.REJECTED, "File is empty")

    reviewer = make_user("fixer", workspace=workspace, role=Role.REVIEWER)
    client = logged_in_client(reviewer)
    page = client.get(reverse("admin:reconciliation-integration-status")).content.decode()
    retry_url = reverse("admin:reconciliation-posting-retry", args=[pk])
    assert retry_url in page
    assert "File is empty" in page

    qonto_emulator.clear_item_errors()  # the cause is fixed
    client.post(retry_url)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    assert Decision.objects.get(invoice=invoice).action == DecisionAction.RETRY

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-b")

    invoice.refresh_from_db()
    assert report.posted == 1
    assert invoice.status == InvoiceStatus.POSTED
    assert (invoice.last_error, invoice.last_error_code) == ("", "")
    attempts = list(PostAttempt.objects.filter(invoice=invoice).order_by("started_at", "pk"))
    assert [attempt.outcome for attempt in attempts] == [PostOutcome.REJECTED, PostOutcome.POSTED]
    assert [attempt.attempt_number for attempt in attempts] == [1, 2]
    assert attempts[1].batch_id != attempts[0].batch_id
    assert qonto_emulator.invoice_count_by_idempotency_key() == {invoice.idempotency_key: 1}
    page = client.get(reverse("admin:reconciliation-integration-status")).content.decode()
    assert retry_url not in page


def test_finished_attempts_cannot_be_rewritten(workspace: Workspace, invoice: Invoice) -> None:
    post_approved(workspace_id=workspace.pk, worker_id="worker-a")
    [attempt] = PostAttempt.objects.filter(invoice=invoice)
    assert attempt.outcome == PostOutcome.POSTED

    with pytest.raises(AppendOnlyError):
        attempt.finish(outcome=PostOutcome.REJECTED, error_detail="rewritten")
    attempt.refresh_from_db()
    attempt.error_detail = "rewritten"
    with pytest.raises(AppendOnlyError):
        attempt.save()
    with pytest.raises(AppendOnlyError):
        PostAttempt.objects.filter(pk=attempt.pk).update(outcome=PostOutcome.REJECTED)
    with pytest.raises(AppendOnlyError):
        attempt.delete()
    with pytest.raises(AppendOnlyError):
        PostAttempt.objects.filter(pk=attempt.pk).delete()

    stored = PostAttempt.objects.get(pk=attempt.pk)
    assert (stored.outcome, stored.error_detail) == (PostOutcome.POSTED, "")


def test_an_attempt_is_finished_exactly_once(workspace: Workspace) -> None:
    from tests.factories import make_invoice

    invoice = make_invoice(workspace, status=InvoiceStatus.APPROVED)
    attempt = PostAttempt.objects.create(
        workspace=workspace,
        invoice=invoice,
        batch_id=uuid.uuid4(),
        idempotency_key=invoice.idempotency_key,
    )
    stale_copy = PostAttempt.objects.get(pk=attempt.pk)
    attempt.finish(outcome=PostOutcome.UNKNOWN, error_code="lease_expired")

    with pytest.raises(AppendOnlyError):
        stale_copy.finish(outcome=PostOutcome.POSTED, qonto_id="si-1")

    stored = PostAttempt.objects.get(pk=attempt.pk)
    assert (stored.outcome, stored.qonto_id) == (PostOutcome.UNKNOWN, "")
