"""When posting may run (end of window, active Qonto connection, no folder sync running) and what
the sweeper does with the claims of a worker that died."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings

from connectors.config import QontoConfig
from connectors.oauth import StaticTokenSource
from connectors.qonto import BulkItem
from connectors.qonto import QontoClient
from connectors.sandbox import QontoEmulator
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import Provider
from reconciliation.models import SyncKind
from reconciliation.models import SyncStatus
from reconciliation.models import Workspace
from reconciliation.posting import post_approved
from reconciliation.posting import release_expired_leases
from reconciliation.posting import upload_file_name
from tests.factories import make_connection
from tests.factories import make_sync_run
from tests.posting_fixtures import BULK_PATH
from tests.posting_fixtures import seed_invoices

pytestmark = pytest.mark.django_db


def test_no_post_while_a_folder_sync_runs(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    [pk] = seed_invoices(workspace, 1)
    dropbox = make_connection(workspace, Provider.DROPBOX)
    make_sync_run(workspace, dropbox)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert report.skipped.startswith("A folder sync is running")
    assert report.claimed == 0
    assert qonto_emulator.requests() == []
    assert Invoice.objects.get(pk=pk).status == InvoiceStatus.APPROVED


@pytest.mark.parametrize(
    ("kind", "status", "age"),
    [
        pytest.param(SyncKind.FILES, SyncStatus.SUCCEEDED, timedelta(0), id="finished_sync_case"),
        pytest.param(SyncKind.FILES, SyncStatus.RUNNING, timedelta(hours=2), id="dead_sync_case"),
        pytest.param(SyncKind.TRANSACTIONS, SyncStatus.RUNNING, timedelta(0), id="bank_sync_case"),
    ],
)
def test_these_runs_do_not_hold_posting_back(
    workspace: Workspace,
    qonto: Connection,
    qonto_emulator: QontoEmulator,
    kind: SyncKind,
    status: SyncStatus,
    age: timedelta,
) -> None:
    [pk] = seed_invoices(workspace, 1)
    source = make_connection(workspace, Provider.DROPBOX) if kind == SyncKind.FILES else qonto
    make_sync_run(workspace, source, kind=kind, status=status, started_at=timezone.now() - age)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert report.posted == 1
    assert Invoice.objects.get(pk=pk).status == InvoiceStatus.POSTED


def test_another_workspace_sync_does_not_hold_posting_back(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    from tests.factories import make_workspace

    other = make_workspace("Other SARL")
    make_sync_run(other, make_connection(other, Provider.DROPBOX))
    seed_invoices(workspace, 1)

    assert post_approved(workspace_id=workspace.pk, worker_id="worker-a").posted == 1


@pytest.mark.parametrize(
    "status",
    [ConnectionStatus.PENDING, ConnectionStatus.REVOKED, ConnectionStatus.NEEDS_REAUTH],
)
def test_only_an_active_qonto_connection_posts(
    workspace: Workspace,
    qonto: Connection,
    qonto_emulator: QontoEmulator,
    status: ConnectionStatus,
) -> None:
    [pk] = seed_invoices(workspace, 1)
    Connection.objects.filter(pk=qonto.pk).update(status=status)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert report.skipped.startswith("The Qonto connection is ")
    assert qonto_emulator.requests() == []
    assert Invoice.objects.get(pk=pk).status == InvoiceStatus.APPROVED


def test_nothing_is_posted_while_qonto_is_turned_off(
    workspace: Workspace,
    qonto: Connection,
    qonto_emulator: QontoEmulator,
    settings: Settings,
) -> None:
    settings.QONTO_ENABLED = False
    [pk] = seed_invoices(workspace, 1)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert report.skipped == "Qonto is turned off (QONTO_ENABLED)."
    assert qonto_emulator.requests() == []
    assert Invoice.objects.get(pk=pk).status == InvoiceStatus.APPROVED


def test_without_a_qonto_connection_nothing_happens(workspace: Workspace) -> None:
    seed_invoices(workspace, 1)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert report.skipped == "The workspace has no Qonto connection."


def test_held_and_other_workspaces_invoices_stay_put(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    from tests.factories import make_workspace

    [held, ready] = seed_invoices(workspace, 2)
    Invoice.objects.filter(pk=held).update(is_held=True, hold_reason="double charge?")
    other = make_workspace("Other SARL")
    [foreign] = seed_invoices(other, 1, start=50)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert report.posted == 1
    assert Invoice.objects.get(pk=ready).status == InvoiceStatus.POSTED
    assert Invoice.objects.get(pk=held).status == InvoiceStatus.APPROVED
    assert Invoice.objects.get(pk=foreign).status == InvoiceStatus.APPROVED


def _die_mid_call(invoice: Invoice, emulator: QontoEmulator, qonto: Connection) -> PostAttempt:
    """What a worker killed right after Qonto answered leaves behind: the claim with a lease
    now expired, the attempt still in flight, and the supplier invoice created on Qonto."""
    invoice.mark_as_posting("dead-worker", timezone.now() - timedelta(seconds=1))
    invoice.post_attempts = 1
    invoice.save()
    attempt = PostAttempt.objects.create(
        workspace=invoice.workspace,
        invoice=invoice,
        connection=qonto,
        batch_id=uuid.uuid4(),
        idempotency_key=invoice.idempotency_key,
        request_summary={"operation": "upload"},
    )
    client = QontoClient(
        QontoConfig(api_url=emulator.base_url),
        StaticTokenSource(emulator.issue_token()["access_token"], provider="qonto"),
    )
    client.bulk_create_supplier_invoices(
        [
            BulkItem(
                idempotency_key=invoice.idempotency_key,
                filename=upload_file_name(invoice.document, invoice.idempotency_key),
                content=invoice.document.file.read(),
            )
        ]
    )
    return attempt


def test_sweeper_returns_a_dead_workers_claim_and_the_lookup_settles_it(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    [pk] = seed_invoices(workspace, 1)
    invoice = Invoice.objects.select_related("document", "workspace").get(pk=pk)
    attempt = _die_mid_call(invoice, qonto_emulator, qonto)
    [remote] = qonto_emulator.state()["supplier_invoices"]
    qonto_emulator.clear_requests()

    assert release_expired_leases() == 1

    attempt.refresh_from_db()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    assert invoice.lease_owner == ""
    assert (attempt.outcome, attempt.error_code) == (PostOutcome.UNKNOWN, "lease_expired")

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-b")

    invoice.refresh_from_db()
    assert (report.posted, report.resolved_by_lookup, report.requests) == (1, 1, 0)
    assert invoice.status == InvoiceStatus.POSTED
    assert invoice.qonto_id == remote["id"]
    assert qonto_emulator.requests(path=BULK_PATH) == []
    assert len(qonto_emulator.state()["supplier_invoices"]) == 1


def test_claim_released_without_sweep_is_still_looked_up(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    """An invoice back in the outbox with an attempt left in flight is treated as unknown."""
    [pk] = seed_invoices(workspace, 1)
    invoice = Invoice.objects.select_related("document", "workspace").get(pk=pk)
    _die_mid_call(invoice, qonto_emulator, qonto)
    invoice.refresh_from_db()
    invoice.release_to_outbox()
    invoice.save()
    qonto_emulator.clear_requests()

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-b")

    assert (report.resolved_by_lookup, report.requests) == (1, 0)
    assert qonto_emulator.requests(path=BULK_PATH) == []


def test_sweeper_leaves_live_leases_alone(workspace: Workspace) -> None:
    [pk] = seed_invoices(workspace, 1)
    invoice = Invoice.objects.get(pk=pk)
    invoice.mark_as_posting("live-worker", timezone.now() + timedelta(minutes=5))
    invoice.save()

    assert release_expired_leases() == 0
    invoice.refresh_from_db()
    assert (invoice.status, invoice.lease_owner) == (InvoiceStatus.POSTING, "live-worker")
