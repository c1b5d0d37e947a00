"""The invoice export's headers are the export form's labels, as people read them ("Vendor VAT
id", not ``vendor_vat_id``; timestamps say they are UTC), and its status and decision are the
screens' labels, the status code kept beside them for an auditor who filters on it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from reconciliation.models import Role
from reconciliation.models import Workspace
from reconciliation.reports.spreadsheets import column_header
from tests.factories import make_invoice
from tests.factories import make_user
from tests.helpers import exported_rows
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db

URL = "/admin/reconciliation/invoice/export/"


@pytest.mark.parametrize(
    ("name", "utc", "header"),
    [
        ("vendor_vat_id", False, "Vendor VAT id"),
        ("supplier_iban", False, "Supplier IBAN"),
        ("fx_rate_date", False, "FX rate date"),
        ("qonto_id", False, "Qonto id"),
        ("id", False, "ID"),
        ("decided_at", True, "Decided at (UTC)"),
        ("duration_ms", False, "Duration (ms)"),
    ],
)
def test_column_headers(name: str, utc: bool, header: str) -> None:
    assert column_header(name, utc=utc) == header


def test_the_file_has_the_forms_labels(workspace: Workspace) -> None:
    make_invoice(workspace, number="INV-1")
    client: Client = logged_in_client(make_user("audrey", workspace=workspace, role=Role.AUDITOR))
    form = client.get(URL).content.decode()
    labels = re.findall(r'<label for="id_invoiceresource_[^"]+">([^<]+)</label>', form)

    [row] = exported_rows(client, "invoice")

    assert [label.strip() for label in labels] == list(row)
    assert {"Vendor VAT id", "Created at (UTC)", "Reason codes", "Reason labels"} <= set(labels)
    assert (row["Status"], row["Status code"], row["Decision"]) == (
        "Needs review",
        "needs_review",
        "Not decided yet",
    )
