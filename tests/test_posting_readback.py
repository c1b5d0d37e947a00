"""Read-back: once Qonto has read a posted PDF, a later window compares its reading with the
reviewed values over the field map, normalised, and stores the outcome on the invoice; the
mirror of Qonto's supplier invoices it reads from is incremental and flags Well's uploads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pytest_django.fixtures import Settings

from connectors.sandbox import QontoEmulator
from connectors.sandbox import Sandbox
from reconciliation.connections.tokens import qonto_client_for
from reconciliation.intake.supplier_invoices import OVERLAP
from reconciliation.intake.supplier_invoices import refresh_supplier_invoices
from reconciliation.models import Connection
from reconciliation.models import Invoice
from reconciliation.models import QontoSupplierInvoice
from reconciliation.models import Workspace
from reconciliation.posting import post_approved
from reconciliation.posting.fieldmap import differences
from tests.posting_fixtures import mirror_requests
from tests.posting_fixtures import qonto_reading
from tests.posting_fixtures import seed_invoices
from tests.posting_scenarios import ANALYSIS_SECONDS
from tests.posting_scenarios import run_readback

pytestmark = pytest.mark.django_db


@pytest.fixture
def qonto(qonto: Connection, sandbox_settings: Sandbox, settings: Settings) -> Connection:
    """The shared connection (conftest), with the mirror refreshed every window and Qonto
    reading posted PDFs as ``qonto_reading`` says."""
    settings.WELL_QONTO_MIRROR_SECONDS = 0
    sandbox_settings.qonto.invoice_analyzer = qonto_reading
    return qonto


def posted_and_read(workspace: Workspace, emulator: QontoEmulator, start: int = 7) -> Invoice:
    [pk] = seed_invoices(workspace, 1, start=start, with_values=True)
    post_approved(workspace_id=workspace.pk, worker_id="worker-a")
    emulator.clock.advance(ANALYSIS_SECONDS + 1)
    return Invoice.objects.get(pk=pk)


def test_qonto_agrees_when_it_read_what_was_reviewed(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    invoice = posted_and_read(workspace, qonto_emulator)
    assert invoice.qonto_agrees is None

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-b")

    checked = Invoice.objects.get(pk=invoice.pk)
    assert (report.read_back, report.differs_from_qonto) == (1, 0)
    assert checked.qonto_agrees is True
    assert checked.qonto_checked_at is not None
    assert checked.qonto_readback["differences"] == []
    assert checked.qonto_readback["compared"] == [
        "total_amount",
        "currency",
        "issue_date",
        "due_date",
        "number",
        "tax_amount",
        "supplier_name",
        "supplier_vat_id",
    ]
    assert checked.qonto_readback["qonto"]["total_amount"] == "107.40"
    assert not Invoice.objects.differs_from_qonto().exists()


def test_each_misread_field_is_shown_side_by_side(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    [pk] = seed_invoices(workspace, 1, start=7, with_values=True)
    key = Invoice.objects.get(pk=pk).idempotency_key
    qonto_emulator.misread("total_amount", idempotency_key=key)
    qonto_emulator.misread("due_date", "2026-12-24", idempotency_key=key)
    post_approved(workspace_id=workspace.pk, worker_id="worker-a")
    qonto_emulator.clock.advance(ANALYSIS_SECONDS + 1)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-b")

    invoice = Invoice.objects.get(pk=pk)
    assert (report.read_back, report.differs_from_qonto) == (1, 1)
    assert invoice.qonto_agrees is False
    assert invoice.qonto_readback["differences"] == [
        {"field": "total_amount", "label": "Total amount", "well": "107.40", "qonto": "108.40"},
        {"field": "due_date", "label": "Due date", "well": "2026-11-07", "qonto": "2026-12-24"},
    ]
    assert list(Invoice.objects.differs_from_qonto()) == [invoice]


def test_a_reading_not_yet_done_is_not_compared(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    [pk] = seed_invoices(workspace, 1, start=7, with_values=True)
    post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-b")

    assert report.read_back == 0
    assert Invoice.objects.get(pk=pk).qonto_agrees is None


def test_values_are_normalised_before_comparing() -> None:
    well = {
        "total_amount": Decimal("1200.5"),
        "currency": "eur",
        "issue_date": date(2026, 11, 2),
        "due_date": None,
        "number": "INV-2026/0042",
        "tax_amount": Decimal("200.08"),
        "supplier_name": "Société Générale S.A.",
        "supplier_vat_id": "FR 40 303 265 045",
    }
    qonto = {
        "total_amount": "1200.50",
        "currency": "EUR",
        "issue_date": "2026-11-02",
        "due_date": None,
        "number": "inv 20260042",
        "tax_amount": Decimal("200.080"),
        "supplier_name": "SOCIETE  GENERALE",
        "supplier_vat_id": None,
    }

    assert differences(well, qonto) == []
    assert [d.field for d in differences(well, {**qonto, "due_date": "2026-12-01"})] == ["due_date"]
    assert [d.field for d in differences(well, {**qonto, "supplier_vat_id": "FR1"})] == [
        "supplier_vat_id"
    ]


def test_misreads_planted_among_many_are_all_found(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    result = run_readback(workspace, qonto_emulator, invoices=24, misreads=8, seed=5)

    assert (result.compared, result.found, result.planted) == (24, 8, 8)
    assert (result.false_alarms, result.not_compared) == (0, 0)


def test_the_mirror_is_incremental_and_flags_wells_uploads(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    planted = qonto_emulator.plant_supplier_invoice(
        supplier_name="Mail Route GmbH",
        total_amount=Decimal("12.00"),
        invoice_number="M-1",
        vat_number="DE811569869",
    )
    invoice = posted_and_read(workspace, qonto_emulator)
    client = qonto_client_for(qonto)
    qonto_emulator.clear_requests()

    first = refresh_supplier_invoices(qonto, client)
    qonto.refresh_from_db()
    mark = qonto.supplier_invoices_synced_until
    second = refresh_supplier_invoices(qonto, client)

    rows = {row.qonto_id: row for row in QontoSupplierInvoice.objects.all()}
    assert set(rows) == {planted.id, invoice.qonto_id}
    assert rows[invoice.qonto_id].is_well_upload
    assert rows[invoice.qonto_id].analyzed_at is not None
    assert not rows[planted.id].is_well_upload
    assert (rows[planted.id].vat_number, rows[planted.id].normalized_number) == (
        "DE811569869",
        "M1",
    )
    assert (first.status, first.seen, first.written) == ("refreshed", 2, 1)
    assert (second.status, second.seen, second.written) == ("refreshed", 2, 0)
    assert mark is not None
    assert mark == rows[invoice.qonto_id].qonto_updated_at
    [_, listing] = mirror_requests(qonto_emulator)
    assert listing.query["sort_by"] == ["updated_at:asc"]
    started = listing.query["filter[updated_at_from]"][0]
    assert started.startswith((mark - OVERLAP).strftime("%Y-%m-%dT%H:%M"))


def test_the_mirror_is_listed_at_most_once_per_interval(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator, settings: Settings
) -> None:
    settings.WELL_QONTO_MIRROR_SECONDS = 60
    client = qonto_client_for(qonto)

    first = refresh_supplier_invoices(qonto, client)
    again = refresh_supplier_invoices(qonto, client)
    forced = refresh_supplier_invoices(qonto, client, force=True)

    assert (first.status, again.status, forced.status) == ("refreshed", "fresh", "refreshed")
    assert len(mirror_requests(qonto_emulator)) == 2
