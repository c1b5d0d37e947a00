"""Posting in batches: Qonto's limits (20 files, 10 MB a file, 15 MB a request) and the mapping of
a mixed 200 answer back to each invoice by idempotency key."""

from __future__ import annotations

import pytest

from connectors.sandbox import QontoEmulator
from reconciliation.models import Connection
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import Workspace
from reconciliation.posting import post_approved
from reconciliation.posting import upload_file_name
from tests.posting_fixtures import BULK_PATH
from tests.posting_fixtures import invoice_pdf
from tests.posting_fixtures import quick_budget
from tests.posting_fixtures import seed_invoices

pytestmark = pytest.mark.django_db

QUICK = quick_budget()


@pytest.fixture
def qonto_read_timeout() -> float:
    return 2.0


def files_per_request(emulator: QontoEmulator) -> list[list[str]]:
    return [
        [part["filename"] for part in entry.body if part["name"] == "supplier_invoices[][file]"]
        for entry in emulator.requests(method="POST", path=BULK_PATH)
    ]


def test_twenty_one_invoices_go_in_two_requests(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    ids = seed_invoices(workspace, 21)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert [len(files) for files in files_per_request(qonto_emulator)] == [20, 1]
    assert (report.claimed, report.posted, report.requests) == (21, 21, 2)
    invoices = Invoice.objects.filter(pk__in=ids).select_related("document")
    assert {invoice.status for invoice in invoices} == {InvoiceStatus.POSTED}
    on_qonto = {item["id"]: item for item in qonto_emulator.state()["supplier_invoices"]}
    for invoice in invoices:
        remote = on_qonto[invoice.qonto_id]
        assert remote["idempotency_key"] == invoice.idempotency_key
        assert remote["file_sha256"] == invoice.document.content_hash
        assert remote["file_name"] == upload_file_name(invoice.document, invoice.idempotency_key)
    assert len(on_qonto) == 21


def test_requests_stay_under_fifteen_megabytes(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    seed_invoices(workspace, 3, content=lambda n: invoice_pdf(n, padding=6_000_000))

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert [len(files) for files in files_per_request(qonto_emulator)] == [2, 1]
    assert all(
        len(entry.body) and sum(part.get("size", 0) for part in entry.body) < 15_000_000
        for entry in qonto_emulator.requests(method="POST", path=BULK_PATH)
    )
    assert report.posted == 3


def test_an_eleven_megabyte_file_is_refused_before_any_call(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    [big] = seed_invoices(workspace, 1, content=lambda n: invoice_pdf(n, padding=11_000_000))

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert qonto_emulator.requests(path=BULK_PATH) == []
    assert (report.rejected, report.requests) == (1, 0)
    invoice = Invoice.objects.get(pk=big)
    assert invoice.status == InvoiceStatus.REJECTED
    assert invoice.last_error_code == "file_too_large"
    assert "Qonto accepts at most 10,000,000 bytes (10 MB) per file" in invoice.last_error
    [attempt] = PostAttempt.objects.filter(invoice=invoice)
    assert attempt.outcome == PostOutcome.LOCAL
    assert attempt.http_status is None
    assert attempt.error_code == "file_too_large"
    assert attempt.is_finished


def test_a_big_file_does_not_hold_back_the_others(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    [big] = seed_invoices(workspace, 1, content=lambda n: invoice_pdf(n, padding=10_000_001))
    small = seed_invoices(workspace, 2, start=100)

    post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert [len(files) for files in files_per_request(qonto_emulator)] == [2]
    assert Invoice.objects.get(pk=big).status == InvoiceStatus.REJECTED
    assert set(Invoice.objects.filter(pk__in=small).values_list("status", flat=True)) == {
        InvoiceStatus.POSTED
    }


def test_mixed_answer_is_mapped_back_by_idempotency_key(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    first, refused, hiccup = (Invoice.objects.get(pk=pk) for pk in seed_invoices(workspace, 3))
    qonto_emulator.inject_item_errors(
        code="invalid",
        detail="File content type must be one of PDF, JPEG or PNG",
        idempotency_keys=[refused.idempotency_key],
    )
    qonto_emulator.inject_item_errors(
        code="internal_server_error", idempotency_keys=[hiccup.idempotency_key], count=1
    )

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a", budget=QUICK)

    assert (report.posted, report.rejected, report.requests) == (2, 1, 2)
    first.refresh_from_db()
    refused.refresh_from_db()
    hiccup.refresh_from_db()
    assert first.status == hiccup.status == InvoiceStatus.POSTED
    assert refused.status == InvoiceStatus.REJECTED
    assert refused.last_error_code == "invalid"
    assert refused.last_error == "File content type must be one of PDF, JPEG or PNG"
    [rejection] = PostAttempt.objects.filter(invoice=refused)
    assert rejection.outcome == PostOutcome.REJECTED
    assert rejection.http_status == 200
    assert rejection.error_pointer == (
        f"/supplier_invoices/idempotency_key/{refused.idempotency_key}/file"
    )
    # The retryable item was sent again, alone, with the same key.
    second_request = files_per_request(qonto_emulator)[1]
    assert second_request == [upload_file_name(hiccup.document, hiccup.idempotency_key)]
    attempts = list(PostAttempt.objects.filter(invoice=hiccup).order_by("started_at", "pk"))
    assert [a.outcome for a in attempts] == [PostOutcome.TRANSIENT, PostOutcome.POSTED]
    assert [a.error_code for a in attempts] == ["internal_server_error", ""]
    assert {a.idempotency_key for a in attempts} == {hiccup.idempotency_key}
    assert [a.attempt_number for a in attempts] == [1, 2]
    assert attempts[1].qonto_id == hiccup.qonto_id
    assert qonto_emulator.invoice_count_by_idempotency_key() == {
        first.idempotency_key: 1,
        hiccup.idempotency_key: 1,
    }


def test_attempts_are_written_before_the_call_and_completed_after(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    [pk] = seed_invoices(workspace, 1)

    post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    [attempt] = PostAttempt.objects.filter(invoice_id=pk)
    [request] = qonto_emulator.requests(method="POST", path=BULK_PATH)
    invoice = Invoice.objects.select_related("document").get(pk=pk)
    assert attempt.outcome == PostOutcome.POSTED
    assert attempt.connection_id == qonto.pk
    assert attempt.idempotency_key == invoice.idempotency_key
    assert attempt.qonto_id == invoice.qonto_id
    assert attempt.http_status == 200
    assert attempt.started_at <= attempt.finished_at
    assert attempt.duration_ms is not None
    assert attempt.request_summary["file_name"] == upload_file_name(
        invoice.document, invoice.idempotency_key
    )
    assert attempt.request_summary["batch_size"] == 1
    assert attempt.item_result["status"] == "created"
    keys = [part["value"] for part in request.body if part["name"].endswith("[idempotency_key]")]
    assert keys == [invoice.idempotency_key]
    qonto.refresh_from_db()
    assert qonto.last_post_at is not None
    assert invoice.post_attempts == 1
