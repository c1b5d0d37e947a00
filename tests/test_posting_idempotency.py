"""Idempotency as Qonto documents it: a key's success is replayed for 30 minutes only, an error
never. So any invoice sent before is looked up on Qonto before it is sent again (an error
answer, a lost answer, a key older than 30 minutes), except after a 429; an unreadable listed
item bearing our file name stops the re-send."""

from __future__ import annotations

import pytest
from django.utils import timezone

from connectors.sandbox import QontoEmulator
from reconciliation.models import Connection
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import Workspace
from reconciliation.posting import post_approved
from tests.posting_fixtures import BULK_PATH
from tests.posting_fixtures import lookup_requests
from tests.posting_fixtures import mirror_now
from tests.posting_fixtures import quick_budget
from tests.posting_scenarios import KEY_LIFETIME_SECONDS
from tests.posting_scenarios import run_expiring_keys

pytestmark = pytest.mark.django_db

ONE_ROUND = quick_budget(1, seconds=1)
QUICK = quick_budget()


@pytest.fixture
def qonto_read_timeout() -> float:
    return 0.5


def next_window(invoice: Invoice, emulator: QontoEmulator, *, minutes: int) -> None:
    """The schedule's next window, ``minutes`` later on Qonto's clock."""
    emulator.clock.advance(minutes * 60)
    Invoice.objects.filter(pk=invoice.pk).update(next_attempt_at=timezone.now())


def test_an_item_error_is_looked_up_before_the_same_key_is_sent_again(
    workspace: Workspace, invoice: Invoice, qonto_emulator: QontoEmulator
) -> None:
    qonto_emulator.inject_item_errors(code="internal_server_error", count=1)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a", budget=QUICK)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.POSTED
    assert (report.posted, report.requests, report.lookups) == (1, 2, 1)
    assert len(lookup_requests(qonto_emulator)) == 1
    first, second = PostAttempt.objects.filter(invoice=invoice).order_by("started_at", "pk")
    assert (first.outcome, first.error_code) == (PostOutcome.TRANSIENT, "internal_server_error")
    assert second.outcome == PostOutcome.POSTED
    assert qonto_emulator.invoice_count_by_idempotency_key() == {invoice.idempotency_key: 1}


def test_a_lost_answer_is_found_after_the_key_expired_and_not_sent_again(
    workspace: Workspace, invoice: Invoice, qonto_emulator: QontoEmulator
) -> None:
    qonto_emulator.inject_fault(BULK_PATH, {"drop": "after_processing"}, method="POST")
    first = post_approved(workspace_id=workspace.pk, worker_id="worker-a", budget=ONE_ROUND)
    invoice.refresh_from_db()
    assert (first.failed, invoice.status) == (1, InvoiceStatus.FAILED)

    next_window(invoice, qonto_emulator, minutes=KEY_LIFETIME_SECONDS // 60 + 1)
    second = post_approved(workspace_id=workspace.pk, worker_id="worker-b", budget=ONE_ROUND)

    invoice.refresh_from_db()
    assert (second.posted, second.resolved_by_lookup, second.requests) == (1, 1, 0)
    assert invoice.status == InvoiceStatus.POSTED
    assert len(qonto_emulator.requests(method="POST", path=BULK_PATH)) == 1
    assert qonto_emulator.invoice_count_by_idempotency_key() == {invoice.idempotency_key: 1}
    [remote] = qonto_emulator.state()["supplier_invoices"]
    assert invoice.qonto_id == remote["id"]


def test_a_server_error_is_looked_up_in_the_next_window_then_sent_once(
    workspace: Workspace, invoice: Invoice, qonto_emulator: QontoEmulator
) -> None:
    qonto_emulator.inject_fault(BULK_PATH, {"status": 500}, method="POST")
    post_approved(workspace_id=workspace.pk, worker_id="worker-a", budget=ONE_ROUND)

    next_window(invoice, qonto_emulator, minutes=31)
    report = post_approved(workspace_id=workspace.pk, worker_id="worker-b", budget=ONE_ROUND)

    invoice.refresh_from_db()
    assert (report.posted, report.lookups, report.resolved_by_lookup) == (1, 1, 0)
    assert len(qonto_emulator.requests(method="POST", path=BULK_PATH)) == 2
    assert qonto_emulator.invoice_count_by_idempotency_key() == {invoice.idempotency_key: 1}


def test_a_rate_limited_invoice_is_sent_again_without_a_look_up(
    workspace: Workspace, invoice: Invoice, qonto_emulator: QontoEmulator
) -> None:
    qonto_emulator.inject_fault(BULK_PATH, {"status": 429, "retry_after": 90}, method="POST")
    post_approved(workspace_id=workspace.pk, worker_id="worker-a", budget=ONE_ROUND)

    next_window(invoice, qonto_emulator, minutes=31)
    report = post_approved(workspace_id=workspace.pk, worker_id="worker-b", budget=ONE_ROUND)

    assert (report.posted, report.lookups) == (1, 0)
    assert lookup_requests(qonto_emulator) == []


def test_an_unreadable_listed_copy_of_ours_stops_the_resend(
    workspace: Workspace, invoice: Invoice, qonto_emulator: QontoEmulator
) -> None:
    mirror_now(workspace)
    qonto_emulator.inject_fault(BULK_PATH, {"drop": "after_processing"}, method="POST")
    post_approved(workspace_id=workspace.pk, worker_id="worker-a", budget=ONE_ROUND)
    # Qonto now lists our invoice in a shape the client cannot read (a number for its status).
    [remote] = qonto_emulator.supplier_invoices.values()
    remote.status = 7  # type: ignore[assignment]

    next_window(invoice, qonto_emulator, minutes=31)
    report = post_approved(workspace_id=workspace.pk, worker_id="worker-b", budget=ONE_ROUND)

    invoice.refresh_from_db()
    assert (report.posted, report.failed, report.requests) == (0, 1, 0)
    assert invoice.last_error_code == "lookup_failed"
    assert "that Well cannot read" in invoice.last_error
    assert len(qonto_emulator.requests(method="POST", path=BULK_PATH)) == 1


def test_keys_expiring_between_windows_lose_nothing_and_duplicate_nothing(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    result = run_expiring_keys(workspace, qonto_emulator, invoices=40, seed=3)

    comparison = result.comparison
    assert comparison.problems == ()
    assert (comparison.lost, comparison.duplicates, comparison.wrong_links) == (0, 0, 0)
    assert comparison.by_status == {"posted": 40}
    assert comparison.qonto_invoices == 40
    assert result.blind_resends == 0
    assert result.windows > 1
    assert result.injected_faults > 0
    assert result.resolved_by_lookup > 0
