"""Two workers at once, each with its own database connection: claims never overlap, and a
worker whose lease ran out mid-call cannot overwrite what happened after the sweeper took over."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection as database
from pytest_django.fixtures import Settings

from connectors.sandbox import QontoEmulator
from reconciliation.models import Connection
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import Workspace
from reconciliation.posting import PostingReport
from reconciliation.posting import post_approved
from reconciliation.posting import release_expired_leases
from tests.posting_fixtures import BULK_PATH
from tests.posting_fixtures import quick_budget
from tests.posting_fixtures import seed_invoices
from tests.posting_fixtures import sent_keys


def in_threads(*targets: Callable[[], PostingReport]) -> list[PostingReport]:
    reports: list[PostingReport] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(targets))

    def run(target: Callable[[], PostingReport]) -> None:
        try:
            start.wait()
            reports.append(target())
        except BaseException as error:  # reported to the test thread
            errors.append(error)
        finally:
            database.close()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return reports


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_invoice(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    ids = seed_invoices(workspace, 60)

    reports = in_threads(
        lambda: post_approved(workspace_id=workspace.pk, worker_id="worker-a"),
        lambda: post_approved(workspace_id=workspace.pk, worker_id="worker-b"),
    )

    assert sum(report.claimed for report in reports) == 60
    assert sum(report.posted for report in reports) == 60
    sent = Counter(sent_keys(qonto_emulator))
    keys = set(Invoice.objects.filter(pk__in=ids).values_list("idempotency_key", flat=True))
    assert set(sent) == keys
    assert set(sent.values()) == {1}
    assert set(qonto_emulator.invoice_count_by_idempotency_key().values()) == {1}
    assert set(Invoice.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        InvoiceStatus.POSTED
    }
    assert PostAttempt.objects.filter(invoice_id__in=ids).count() == 60


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_lease_ran_out_mid_call_changes_nothing(
    workspace: Workspace,
    qonto: Connection,
    qonto_emulator: QontoEmulator,
    settings: Settings,
) -> None:
    settings.WELL_POST_LEASE_SECONDS = 1
    settings.HTTP_READ_TIMEOUT = 10.0
    [pk] = seed_invoices(workspace, 1)
    # Qonto takes 3 s to answer; the claim's lease runs out after 1 s.
    qonto_emulator.inject_fault(BULK_PATH, {"delay": 3.0}, method="POST")
    quick = quick_budget(1, seconds=0.1)
    slow_reports: list[PostingReport] = []

    def slow_worker() -> None:
        try:
            slow_reports.append(
                post_approved(workspace_id=workspace.pk, worker_id="slow", budget=quick)
            )
        finally:
            database.close()

    thread = threading.Thread(target=slow_worker)
    thread.start()
    time.sleep(1.8)
    released = release_expired_leases()
    thread.join(timeout=30)

    assert released == 1
    [slow] = slow_reports
    # Its own answer did not land (the sweeper had taken the claim back); claiming the invoice
    # again from the outbox, it looked Qonto up instead of sending the file a second time.
    assert (slow.lost_leases, slow.resolved_by_lookup, slow.requests) == (1, 1, 1)
    invoice = Invoice.objects.get(pk=pk)
    assert invoice.status == InvoiceStatus.POSTED
    first, second = PostAttempt.objects.filter(invoice_id=pk).order_by("started_at", "pk")
    assert (first.outcome, first.error_code, first.qonto_id) == (
        PostOutcome.UNKNOWN,
        "lease_expired",
        "",
    )
    assert (second.outcome, second.request_summary["operation"]) == (PostOutcome.POSTED, "lookup")
    assert len(qonto_emulator.requests(method="POST", path=BULK_PATH)) == 1
    assert qonto_emulator.invoice_count_by_idempotency_key() == {invoice.idempotency_key: 1}
