"""Transient failures: retried inside the window with backoff (Retry-After honoured), then
``failed`` for the next window; an unknown outcome is looked up on Qonto before any re-send, so a
timeout after Qonto created the invoice never creates a second one."""

from __future__ import annotations

import os
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from connectors.sandbox import QontoEmulator
from reconciliation.files.storage import holders
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import Workspace
from reconciliation.posting import post_approved
from reconciliation.posting import retry_invoice
from tests.posting_fixtures import BULK_PATH
from tests.posting_fixtures import LIST_PATH
from tests.posting_fixtures import lookup_requests
from tests.posting_fixtures import mirror_now
from tests.posting_fixtures import quick_budget
from tests.posting_fixtures import sent_keys

pytestmark = pytest.mark.django_db

QUICK = quick_budget()
TWO_ROUNDS = quick_budget(2)

READ_TIMEOUT = 0.5


@pytest.fixture
def qonto_read_timeout() -> float:
    return READ_TIMEOUT


def assert_failed_for_the_next_window(invoice: Invoice, code: str) -> None:
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.FAILED
    assert invoice.last_error_code == code


def outcomes(invoice: Invoice) -> list[str]:
    return list(
        PostAttempt.objects.filter(invoice=invoice)
        .order_by("started_at", "pk")
        .values_list("outcome", flat=True)
    )


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"delay_after_processing": READ_TIMEOUT + 1.0}, id="timeout_after_send_case"),
        pytest.param({"drop": "after_processing"}, id="dropped_after_processing_case"),
    ],
)
def test_unknown_outcome_is_found_by_lookup_not_sent_again(
    workspace: Workspace,
    invoice: Invoice,
    qonto_emulator: QontoEmulator,
    fault: dict[str, Any],
) -> None:
    qonto_emulator.inject_fault(BULK_PATH, fault, method="POST")

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a", budget=QUICK)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.POSTED
    assert (report.posted, report.resolved_by_lookup, report.requests) == (1, 1, 1)
    assert sent_keys(qonto_emulator) == [invoice.idempotency_key]
    assert len(lookup_requests(qonto_emulator)) == 1
    [remote] = qonto_emulator.state()["supplier_invoices"]
    assert invoice.qonto_id == remote["id"]
    assert outcomes(invoice) == [PostOutcome.UNKNOWN, PostOutcome.POSTED]
    lookup = PostAttempt.objects.filter(invoice=invoice, outcome=PostOutcome.POSTED).get()
    assert lookup.request_summary["operation"] == "lookup"
    assert lookup.item_result["resolved_by"] == "lookup"


def test_dropped_before_processing_is_sent_again_with_the_same_key(
    workspace: Workspace, invoice: Invoice, qonto_emulator: QontoEmulator
) -> None:
    qonto_emulator.inject_fault(BULK_PATH, {"drop": True}, method="POST")

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a", budget=QUICK)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.POSTED
    assert (report.posted, report.resolved_by_lookup, report.lookups) == (1, 0, 1)
    assert sent_keys(qonto_emulator) == [invoice.idempotency_key, invoice.idempotency_key]
    assert qonto_emulator.invoice_count_by_idempotency_key() == {invoice.idempotency_key: 1}
    assert outcomes(invoice) == [PostOutcome.UNKNOWN, PostOutcome.POSTED]
    first = PostAttempt.objects.filter(invoice=invoice).order_by("started_at", "pk").first()
    assert first is not None
    assert first.error_code == "no_answer"


def test_server_error_is_looked_up_then_resent(
    workspace: Workspace, invoice: Invoice, qonto_emulator: QontoEmulator
) -> None:
    qonto_emulator.inject_fault(BULK_PATH, {"status": 503}, method="POST")

    post_approved(workspace_id=workspace.pk, worker_id="worker-a", budget=QUICK)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.POSTED
    assert sent_keys(qonto_emulator) == [invoice.idempotency_key, invoice.idempotency_key]
    first, second = PostAttempt.objects.filter(invoice=invoice).order_by("started_at", "pk")
    assert (first.outcome, first.http_status, first.error_code) == (
        PostOutcome.UNKNOWN,
        503,
        "http_503",
    )
    assert first.trace_id != ""
    assert second.outcome == PostOutcome.POSTED


def test_rate_limit_waits_for_retry_after(
    workspace: Workspace, invoice: Invoice, qonto_emulator: QontoEmulator
) -> None:
    qonto_emulator.inject_fault(BULK_PATH, {"status": 429, "retry_after": 1}, method="POST")

    post_approved(workspace_id=workspace.pk, worker_id="worker-a", budget=QUICK)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.POSTED
    first, second = qonto_emulator.requests(method="POST", path=BULK_PATH)
    assert (first.status, second.status) == (429, 200)
    waited = datetime.fromisoformat(second.at) - datetime.fromisoformat(first.at)
    assert waited >= timedelta(seconds=1)
    assert lookup_requests(qonto_emulator) == []  # 429: surely not processed


def test_retry_after_beyond_the_budget_fails_for_the_next_window(
    workspace: Workspace, invoice: Invoice, qonto_emulator: QontoEmulator
) -> None:
    qonto_emulator.inject_fault(BULK_PATH, {"status": 429, "retry_after": 90}, method="POST")
    before = timezone.now()

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a", budget=QUICK)

    assert (report.failed, report.requests) == (1, 1)
    assert_failed_for_the_next_window(invoice, "rate_limited")
    assert "rate limited" in invoice.last_error
    assert invoice.next_attempt_at is not None
    assert invoice.next_attempt_at >= before + timedelta(seconds=90)
    assert invoice.lease_owner == ""
    [attempt] = PostAttempt.objects.filter(invoice=invoice)
    assert (attempt.outcome, attempt.http_status) == (PostOutcome.TRANSIENT, 429)
    assert not Invoice.objects.due_for_posting().filter(pk=invoice.pk).exists()
    assert report.errors == ("1 invoice(s) failed, retried next window (rate_limited)",)


def test_budget_spent_fails_then_next_window_looks_up_and_posts(
    workspace: Workspace, invoice: Invoice, qonto_emulator: QontoEmulator
) -> None:
    qonto_emulator.inject_fault(BULK_PATH, {"status": 500}, method="POST", count=2)

    first_window = post_approved(workspace_id=workspace.pk, worker_id="worker-a", budget=TWO_ROUNDS)

    assert first_window.failed == 1
    assert_failed_for_the_next_window(invoice, "http_500")
    assert invoice.next_attempt_at is not None
    assert invoice.next_attempt_at >= timezone.now() + timedelta(seconds=50)
    assert outcomes(invoice) == [PostOutcome.UNKNOWN, PostOutcome.UNKNOWN]

    # The next window comes: the invoice is due again.
    Invoice.objects.filter(pk=invoice.pk).update(next_attempt_at=timezone.now())
    second_window = post_approved(workspace_id=workspace.pk, worker_id="worker-b", budget=QUICK)

    invoice.refresh_from_db()
    assert (second_window.posted, second_window.lookups) == (1, 1)
    assert invoice.status == InvoiceStatus.POSTED
    assert invoice.last_error == ""
    assert outcomes(invoice) == [PostOutcome.UNKNOWN, PostOutcome.UNKNOWN, PostOutcome.POSTED]
    assert qonto_emulator.invoice_count_by_idempotency_key() == {invoice.idempotency_key: 1}


def test_lookup_failure_never_leads_to_a_blind_resend(
    workspace: Workspace, invoice: Invoice, qonto_emulator: QontoEmulator
) -> None:
    mirror_now(workspace)  # the window finds it fresh: every listing below is a look-up
    qonto_emulator.inject_fault(
        BULK_PATH, {"delay_after_processing": READ_TIMEOUT + 1.0}, method="POST"
    )
    qonto_emulator.inject_fault(LIST_PATH, {"status": 503}, method="GET", count=20)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a", budget=TWO_ROUNDS)

    assert report.failed == 1
    assert_failed_for_the_next_window(invoice, "lookup_failed")
    assert "Could not check Qonto for an earlier attempt" in invoice.last_error
    assert sent_keys(qonto_emulator) == [invoice.idempotency_key]

    qonto_emulator.clear_faults()
    Invoice.objects.filter(pk=invoice.pk).update(next_attempt_at=timezone.now())
    post_approved(workspace_id=workspace.pk, worker_id="worker-b", budget=QUICK)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.POSTED
    assert sent_keys(qonto_emulator) == [invoice.idempotency_key]
    assert len(qonto_emulator.state()["supplier_invoices"]) == 1


def test_unreadable_answer_is_treated_as_unknown(
    workspace: Workspace, invoice: Invoice, qonto_emulator: QontoEmulator
) -> None:
    qonto_emulator.inject_fault(BULK_PATH, {"malformed": "truncated_json"}, method="POST")

    post_approved(workspace_id=workspace.pk, worker_id="worker-a", budget=QUICK)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.POSTED
    assert sent_keys(qonto_emulator) == [invoice.idempotency_key]
    first = PostAttempt.objects.filter(invoice=invoice).order_by("started_at", "pk").first()
    assert first is not None
    assert (first.outcome, first.error_code) == (PostOutcome.UNKNOWN, "protocol_error")


def test_a_local_refusal_does_not_erase_an_unknown_outcome(
    workspace: Workspace,
    invoice: Invoice,
    qonto_emulator: QontoEmulator,
) -> None:
    # Window 1: Qonto creates the invoice but the answer is lost, and the look-up fails.
    mirror_now(workspace)
    qonto_emulator.inject_fault(BULK_PATH, {"drop": "after_processing"}, method="POST")
    qonto_emulator.inject_fault(LIST_PATH, {"status": 503}, method="GET", count=20)
    post_approved(workspace_id=workspace.pk, worker_id="w1", budget=TWO_ROUNDS)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.FAILED
    qonto_emulator.clear_faults()
    # Window 2: the stored file is momentarily unreadable -> refused locally (LOCAL attempt).
    [holder] = holders(invoice.document.file.name)
    path = holder.path(invoice.document.file.name)
    os.rename(path, path + ".away")
    Invoice.objects.filter(pk=invoice.pk).update(next_attempt_at=timezone.now())
    post_approved(workspace_id=workspace.pk, worker_id="w2", budget=QUICK)
    os.rename(path + ".away", path)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REJECTED
    # A reviewer clicks Retry; window 3 must look Qonto up before sending again.
    retry_invoice(invoice_id=invoice.pk, user=None)
    report = post_approved(workspace_id=workspace.pk, worker_id="w3", budget=QUICK)
    assert report.resolved_by_lookup == 1, outcomes(invoice)
    assert sent_keys(qonto_emulator) == [invoice.idempotency_key]
