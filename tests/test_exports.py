"""Audit exports: CSV and XLSX of exactly the rows the changelist shows (filters, search, the
user's workspaces), for auditors too, at a fixed query cost."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import uuid
from datetime import datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.admin import site
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from import_export.admin import ExportMixin
from openpyxl import load_workbook  # type: ignore[import-untyped]

from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import MatchKind
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import Role
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_vendor
from tests.factories import make_workspace
from tests.helpers import XLSX_FORMAT
from tests.helpers import csv_rows
from tests.helpers import export_every_column
from tests.helpers import exported_rows
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(workspace: Workspace) -> AbstractUser:
    return make_user("audrey", workspace=workspace, role=Role.AUDITOR)


def _invoices(workspace: Workspace, reviewer: AbstractUser) -> list[Invoice]:
    vendor = make_vendor(workspace, name="ACME Supplies GmbH", vat_id="DE136695976")
    with time_machine.travel(datetime.fromisoformat("2026-11-20T09:30:00+00:00"), tick=False):
        posted = make_invoice(
            workspace,
            vendor=vendor,
            number="INV-1",
            status=InvoiceStatus.POSTED,
            qonto_id="qonto-si-1",
            confidence=Decimal("91.50"),
            total_amount=Decimal("1190.00"),
            tax_amount=Decimal("190.00"),
            net_amount=Decimal("1000.00"),
        )
        approved = make_invoice(
            workspace,
            vendor=vendor,
            number="INV-2",
            status=InvoiceStatus.APPROVED,
            decided_by=reviewer,
            decided_at=datetime.fromisoformat("2026-11-20T10:00:00+00:00"),
            decision_reason="Approved after review",
        )
        waiting = make_invoice(workspace, number="INV-3")
    return [posted, approved, waiting]


def test_invoice_export_has_the_audit_columns(workspace: Workspace, auditor: AbstractUser) -> None:
    reviewer = make_user("rita", workspace=workspace, role=Role.REVIEWER)
    posted, approved, _ = _invoices(workspace, reviewer)
    response = export_every_column(
        logged_in_client(auditor), "invoice", query="status__exact=posted"
    )
    assert response["Content-Disposition"].startswith('attachment; filename="Invoice-')
    [row] = csv_rows(response)
    assert {
        key: row[key]
        for key in (
            "ID",
            "Workspace",
            "Vendor",
            "Vendor VAT id",
            "Number",
            "Net amount",
            "Tax amount",
            "Total amount",
            "Currency",
            "Confidence",
            "Status",
            "Status code",
            "Decision",
            "Decided by",
            "Qonto id",
            "Created at (UTC)",
        )
    } == {
        "ID": str(posted.pk),
        "Workspace": "Acme SAS",
        "Vendor": "ACME Supplies GmbH",
        "Vendor VAT id": "DE136695976",
        "Number": "INV-1",
        "Net amount": "1000.00",
        "Tax amount": "190.00",
        "Total amount": "1190.00",
        "Currency": "EUR",
        "Confidence": "91.50",
        "Status": "Posted to Qonto",
        "Status code": "posted",
        "Decision": "Not decided yet",
        "Decided by": "",
        "Qonto id": "qonto-si-1",
        "Created at (UTC)": "2026-11-20T09:30:00Z",
    }
    [row] = exported_rows(logged_in_client(auditor), "invoice", "status__exact=approved")
    assert (
        row["ID"],
        row["Decision"],
        row["Decided by"],
        row["Decided at (UTC)"],
        row["Decision reason"],
    ) == (
        str(approved.pk),
        "A reviewer",
        "rita",
        "2026-11-20T10:00:00Z",
        "Approved after review",
    )


@pytest.mark.parametrize(
    ("_case", "query", "numbers"),
    [
        ("everything", "", ["INV-3", "INV-2", "INV-1"]),
        ("status", "status__exact=needs_review", ["INV-3"]),
        ("search", "q=INV-2", ["INV-2"]),
        ("vendor", "vendor__id__exact={vendor}", ["INV-2", "INV-1"]),
    ],
)
def test_export_contains_exactly_the_visible_rows(
    workspace: Workspace, auditor: AbstractUser, _case: str, query: str, numbers: list[str]
) -> None:
    _invoices(workspace, make_user(workspace=workspace))
    other = make_workspace("Other company")
    make_invoice(other, number="INV-OTHER", vendor=make_vendor(other))
    vendor = Invoice.objects.get(number="INV-1").vendor_id
    query = query.format(vendor=vendor)
    client = logged_in_client(auditor)
    listed = re.findall(
        r"INV-\w+", client.get(f"/admin/reconciliation/invoice/?{query}").content.decode()
    )
    exported = [row["Number"] for row in exported_rows(client, "invoice", query)]
    assert exported == numbers
    assert sorted(set(listed)) == sorted(numbers)


def test_xlsx_export_has_the_same_rows(workspace: Workspace, auditor: AbstractUser) -> None:
    _invoices(workspace, make_user(workspace=workspace))
    response = export_every_column(
        logged_in_client(auditor), "invoice", query="status__exact=posted", file_format=XLSX_FORMAT
    )
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header, [values] = rows[0], rows[1:]
    record = dict(zip(header, values, strict=True))
    assert (
        record["Number"],
        record["Total amount"],
        record["Qonto id"],
        record["Created at (UTC)"],
    ) == (
        "INV-1",
        Decimal("1190.000"),
        "qonto-si-1",
        "2026-11-20T09:30:00Z",
    )


@pytest.mark.parametrize(
    ("currency", "total", "exported"),
    [("EUR", "1283.440", "1283.44"), ("JPY", "125000.000", "125000"), ("KWD", "12.345", "12.345")],
)
def test_exported_amounts_have_the_currency_minor_units(
    workspace: Workspace, auditor: AbstractUser, currency: str, total: str, exported: str
) -> None:
    make_invoice(workspace, number="FX-1", currency=currency, total_amount=Decimal(total))
    [row] = exported_rows(logged_in_client(auditor), "invoice")
    assert (row["Total amount"], row["Currency"]) == (exported, currency)


def test_exported_bank_amounts_have_the_currency_minor_units(
    workspace: Workspace, auditor: AbstractUser
) -> None:
    make_transaction(workspace, qonto_id="tx-jpy", amount=Decimal("5000.000"), currency="JPY")
    [row] = exported_rows(logged_in_client(auditor), "transaction")
    assert (row["Amount"], row["Currency"]) == ("5000", "JPY")


def test_decisions_history_export(workspace: Workspace, auditor: AbstractUser) -> None:
    reviewer = make_user("rita", workspace=workspace, role=Role.REVIEWER)
    invoice = make_invoice(workspace, number="INV-9")
    with time_machine.travel(datetime.fromisoformat("2026-11-21T08:00:00+00:00"), tick=False):
        Decision.record_for_invoice(
            invoice,
            DecisionAction.EDIT,
            actor=reviewer,
            before={"invoice_number": "INV-O9"},
            after={"invoice_number": "INV-9"},
            reason="Corrected invoice_number.",
        )
        Decision.objects.create(workspace=workspace, action=DecisionAction.ROUTE, invoice=invoice)
    Decision.objects.create(workspace=make_workspace(), action=DecisionAction.APPROVE)
    rows = exported_rows(logged_in_client(auditor), "decision", "action__exact=edit")
    assert [
        {
            k: row[k]
            for k in (
                "Created at (UTC)",
                "Action",
                "Action code",
                "Actor",
                "Invoice number",
                "Before",
                "After",
                "Reason",
            )
        }
        for row in rows
    ] == [
        {
            "Created at (UTC)": "2026-11-21T08:00:00Z",
            "Action": "Fields corrected",
            "Action code": "edit",
            "Actor": "rita",
            "Invoice number": "INV-9",
            "Before": '{"invoice_number": "INV-O9"}',
            "After": '{"invoice_number": "INV-9"}',
            "Reason": "Corrected invoice_number.",
        }
    ]
    everything = exported_rows(logged_in_client(auditor), "decision")
    assert [(row["Action"], row["Action code"], row["Actor"]) for row in everything] == [
        ("Routed automatically", "route", "Well"),
        ("Fields corrected", "edit", "rita"),
    ]


def test_post_attempt_and_sync_run_exports(workspace: Workspace, auditor: AbstractUser) -> None:
    invoice = make_invoice(workspace, number="INV-5", supplier_name="ACME")
    attempt = PostAttempt.objects.create(
        workspace=workspace,
        invoice=invoice,
        batch_id=uuid.uuid4(),
        idempotency_key=invoice.idempotency_key,
        request_summary={"files": 1},
    )
    attempt.finish(
        outcome=PostOutcome.REJECTED, http_status=422, error_code="invalid", trace_id="t-1"
    )
    other = make_workspace()
    PostAttempt.objects.create(
        workspace=other, invoice=make_invoice(other), batch_id=uuid.uuid4(), idempotency_key="k"
    )
    [row] = exported_rows(logged_in_client(auditor), "postattempt")
    assert (
        row["Invoice number"],
        row["Supplier"],
        row["Outcome"],
        row["HTTP status"],
        row["Error code"],
        row["Trace id"],
        row["Request summary"],
    ) == ("INV-5", "ACME", "rejected", "422", "invalid", "t-1", '{"files": 1}')
    dropbox = make_connection(workspace, account_label="Team Dropbox")
    SyncRun.objects.create(
        workspace=workspace,
        connection=dropbox,
        kind=SyncKind.FILES,
        files_seen=7,
        details={"cursor_reset": True},
    )
    SyncRun.objects.create(workspace=other, kind=SyncKind.FILES, files_seen=99)
    [run] = exported_rows(logged_in_client(auditor), "syncrun")
    assert (run["Connection"], run["Kind"], run["Files seen"], run["Details"]) == (
        "Team Dropbox · folder “/Invoices”",
        "Folder poll",
        "7",
        "Folder listed again from the start: Yes",
    )


def test_documents_and_sync_runs_name_their_connection_alike(
    workspace: Workspace, auditor: AbstractUser
) -> None:
    """As the lists do: account and folder, not the status the connection has at export time."""
    dropbox = make_connection(workspace, account_label="Team Dropbox")
    make_document(workspace, connection=dropbox)
    SyncRun.objects.create(workspace=workspace, connection=dropbox, kind=SyncKind.FILES)
    make_document(workspace)
    client = logged_in_client(auditor)
    documents = [row["Connection"] for row in exported_rows(client, "document")]
    [run] = exported_rows(client, "syncrun")
    assert sorted(documents) == ["", "Team Dropbox · folder “/Invoices”"]
    assert run["Connection"] == "Team Dropbox · folder “/Invoices”"


def test_match_resource_exports_names_not_ids(workspace: Workspace) -> None:
    from reconciliation.admin.resources import MatchResource
    from reconciliation.models import Match

    document = make_document(workspace, original_name="transfer.pdf")
    make_match(
        workspace,
        document=document,
        transaction=make_transaction(workspace, qonto_id="tx-77", counterparty_name="ACME"),
        reasons=["same amount", "name"],
        kind=MatchKind.CONFIRMATION_DEBIT,
    )
    dataset = MatchResource().export(Match.objects.all())
    [row] = dataset.dict
    assert (row["Document"], row["Transaction Qonto id"], row["Counterparty"], row["Reasons"]) == (
        "transfer.pdf",
        "tx-77",
        "ACME",
        "same amount; name",
    )


def test_export_costs_the_same_for_10_and_100_rows(
    workspace: Workspace, auditor: AbstractUser
) -> None:
    client = logged_in_client(auditor)
    reviewer = make_user(workspace=workspace)
    vendor = make_vendor(workspace)

    def add(count: int) -> None:
        for _ in range(count):
            invoice = make_invoice(workspace, vendor=vendor, decided_by=reviewer)
            Decision.record_for_invoice(
                invoice, DecisionAction.APPROVE, actor=reviewer, vendor=vendor
            )

    def cost() -> tuple[int, int]:
        counts = []
        for model in ("invoice", "decision"):
            with CaptureQueriesContext(connection) as queries:
                export_every_column(client, model)
            counts.append(len(queries))
        return counts[0], counts[1]

    add(10)
    small = cost()
    add(90)
    assert cost() == small


def test_the_export_form_s_select_all_toggle_is_allowed_by_the_content_security_policy(
    auditor: AbstractUser,
) -> None:
    """The form's only inline handler ("Select all") runs: its exact text is hashed into the
    policy's script-src-attr, and nothing else inline is allowed."""
    page = logged_in_client(auditor).get("/admin/reconciliation/invoice/export/")
    handlers = set(re.findall(r'\bon[a-z]+="([^"]*)"', page.content.decode()))
    policy = dict(
        directive.strip().split(" ", 1) for directive in page["Content-Security-Policy"].split(";")
    )
    allowed = policy["script-src-attr"].split()

    assert handlers == {"onSelectToggleChange(event)"}
    assert allowed[0] == "'unsafe-hashes'"
    assert {
        f"'sha256-{base64.b64encode(hashlib.sha256(h.encode()).digest()).decode()}'"
        for h in handlers
    } == set(allowed[1:])
    assert policy["script-src"] == "'self'"


#: Every admin with an export page (the test below checks the list is complete).
EXPORTING_MODELS = [
    "document",
    "invoice",
    "postattempt",
    "syncrun",
    "decision",
    "transaction",
    "receivable",
    "match",
    "vendor",
    "routingrule",
    "connection",
]


def test_every_exporting_admin_is_checked_below() -> None:
    exporting = {
        model._meta.model_name
        for model, model_admin in site._registry.items()
        if isinstance(model_admin, ExportMixin)
    }
    assert exporting == set(EXPORTING_MODELS)


@pytest.mark.parametrize("model", EXPORTING_MODELS)
def test_the_export_form_s_select_all_label_is_tied_to_its_box(
    auditor: AbstractUser, model: str
) -> None:
    """Clicking the words "Select all" ticks the box: the label names the box's id, on every
    export page, which loads the script binding the box under the CSP."""
    page = logged_in_client(make_user(superuser=True)).get(f"/admin/reconciliation/{model}/export/")
    body = page.content.decode()
    toggles = re.findall(r'<input type="checkbox" class="select-toggle"[^>]*>', body)
    labels = re.findall(r'<label[^>]*for="([^"]+)"[^>]*>\s*Select all\s*</label>', body)
    ids = [re.search(r'\bid="([^"]+)"', toggle) for toggle in toggles]

    assert toggles
    assert all(found is not None for found in ids)
    assert labels == [found.group(1) for found in ids if found is not None]
    assert len(set(labels)) == len(labels)
    assert body.count('src="/static/well/export.js"') == 1
    assert set(re.findall(r'\bon[a-z]+="([^"]*)"', body)) == {"onSelectToggleChange(event)"}
