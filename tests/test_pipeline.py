"""The whole flow on the demo scenario: poll → parse → route → window (sync, match, post)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from connectors.sandbox import Sandbox
from connectors.sandbox.demo import load_demo
from connectors.sandbox.demo_data import build_demo_scenario
from reconciliation import window
from reconciliation.connections.flows import vat_id_from_registration
from reconciliation.intake.folder_polls import sync_file_connection
from reconciliation.models import Connection
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import PostAttempt
from reconciliation.models import Provider
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import Transaction
from reconciliation.models import Vendor
from reconciliation.models import Workspace

pytestmark = pytest.mark.django_db

Connect = Callable[..., Connection]


@pytest.fixture
def demo(
    workspace: Workspace, sandbox_settings: Sandbox, connect_with_emulator_tokens: Connect
) -> tuple[Connection, Connection]:
    load_demo(sandbox_settings)
    organization = build_demo_scenario(7).organization
    workspace.vat_id = vat_id_from_registration(
        organization["legal_country"], organization["legal_number"]
    )
    workspace.save(update_fields=["vat_id"])
    dropbox = connect_with_emulator_tokens(
        workspace, Provider.DROPBOX, sandbox_settings.dropbox, watched_folder="/Invoices"
    )
    qonto = connect_with_emulator_tokens(
        workspace, Provider.QONTO, sandbox_settings.qonto, account_label="Qonto · Atelier Lumen SAS"
    )
    return dropbox, qonto


def test_demo_scenario_flows_end_to_end(
    workspace: Workspace,
    demo: tuple[Connection, Connection],
    sandbox_settings: Sandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    dropbox, _ = demo
    with django_capture_on_commit_callbacks(execute=True):
        result = sync_file_connection(connection_id=dropbox.pk)
    assert result.error == ""
    documents = Document.objects.for_workspace(workspace)
    assert documents.filter(status__in=(DocumentStatus.NEW, DocumentStatus.PARSING)).count() == 0
    assert documents.filter(status=DocumentStatus.FAILED).count() == 0
    kinds = {kind for kind in documents.values_list("kind", flat=True)}
    assert {DocumentKind.INVOICE, DocumentKind.PAYMENT_CONFIRMATION} <= kinds
    forwarded = documents.filter(original_name__startswith="Fwd_").get()
    assert forwarded.status == DocumentStatus.DUPLICATE
    invoices = Invoice.objects.for_workspace(workspace)
    assert invoices.count() >= 10
    statuses = set(invoices.values_list("status", flat=True))
    assert InvoiceStatus.NEW not in statuses
    # The window closed after the last document was read: transactions mirrored, matched, posted.
    assert SyncRun.objects.filter(workspace=workspace, kind=SyncKind.POSTING).exists()
    assert Transaction.objects.for_workspace(workspace).count() > 20
    assert Match.objects.for_workspace(workspace).exists()
    # Every bank transfer confirmation found its debit and went to Qonto.
    attached = Match.objects.for_workspace(workspace).filter(kind="confirmation_debit")
    assert set(attached.values_list("status", flat=True)) == {"attached"}
    assert attached.count() == 6
    # The buyer block (our own company) is never taken for a supplier.
    assert not Vendor.objects.for_workspace(workspace).filter(name__icontains="Lumen").exists()
    assert not Vendor.objects.for_workspace(workspace).filter(vat_id=workspace.vat_id).exists()
    # The reminder for the already paid invoice 110/2026 is the double charge, not the original.
    double = Match.objects.for_workspace(workspace).get(kind="double_charge")
    assert double.invoice is not None
    assert double.settled_invoice is not None
    assert double.invoice.document.original_name == "Sollecito_110-2026.pdf"
    assert double.settled_invoice.document.original_name == "Fattura_110_2026.pdf"
    assert double.invoice.is_held
    approved_or_posted = invoices.filter(status__in=(InvoiceStatus.POSTED, InvoiceStatus.APPROVED))
    for invoice in invoices.filter(status=InvoiceStatus.POSTED):
        assert invoice.qonto_id
        assert PostAttempt.objects.filter(invoice=invoice, outcome="posted").count() == 1
    counts = sandbox_settings.qonto.invoice_count_by_idempotency_key()
    assert all(count == 1 for count in counts.values())
    assert len(counts) == invoices.filter(status=InvoiceStatus.POSTED).count()
    assert approved_or_posted.filter(status=InvoiceStatus.APPROVED).count() == 0
    assert timezone.now()
    assert window.window_is_open(workspace.pk) is False
