"""The CSV export opens right in Excel: a UTF-8 byte-order mark (accented names), a rate of 1
for an invoice in the home currency, timestamps in UTC with the column saying so; the import
still reads a file with the mark."""

from __future__ import annotations

import codecs
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reconciliation.models import Receivable
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_user
from tests.factories import make_vendor
from tests.helpers import client_for
from tests.helpers import csv_rows
from tests.helpers import export_every_column
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def test_the_csv_has_a_bom_one_for_same_currency_and_utc_columns(workspace: Workspace) -> None:
    vendor = make_vendor(workspace, name="Nuage Hébergement SAS")
    common = {"issue_date": date(2026, 11, 2), "home_currency": "EUR", "fx_rate_date": None}
    make_invoice(
        workspace,
        number="EUR-1",
        vendor=vendor,
        converted_amount=Decimal("119.00"),
        fx_rate=Decimal("1.0000000000"),
        **common,
    )
    make_invoice(
        workspace,
        number="USD-1",
        currency="USD",
        total_amount=Decimal("690.00"),
        converted_amount=Decimal("622.86"),
        fx_rate=Decimal("0.9026956522"),
        **common,
    )
    client = logged_in_client(make_user("audrey", workspace=workspace, role=Role.AUDITOR))

    response = export_every_column(client, "invoice")

    assert response.content.startswith(codecs.BOM_UTF8)
    rows = {row["Number"]: row for row in csv_rows(response)}
    assert rows["EUR-1"]["Vendor"] == "Nuage Hébergement SAS"
    assert (rows["EUR-1"]["FX rate"], rows["USD-1"]["FX rate"]) == ("1", "0.9026956522")
    assert rows["EUR-1"]["Created at (UTC)"].endswith("Z")


def test_the_import_reads_a_file_with_a_bom(workspace: Workspace) -> None:
    client = client_for(workspace, Role.ADMIN)
    url = reverse("admin:reconciliation_receivable_import")
    choices = client.get(url).context["form"].fields["format"].choices
    csv_format = next(str(value) for value, label in choices if label.lower() == "csv")
    body = "reference,customer_name,amount\nFA-2026-001,Société Générale Café,1200.00\n"
    preview = client.post(
        url,
        {
            "workspace": workspace.pk,
            "format": csv_format,
            "import_file": SimpleUploadedFile("r.csv", codecs.BOM_UTF8 + body.encode()),
        },
    )
    process = reverse("admin:reconciliation_receivable_process_import")
    client.post(process, {**preview.context["confirm_form"].initial, "workspace": workspace.pk})

    receivable = Receivable.objects.get(workspace=workspace)
    assert (receivable.reference, receivable.customer_name) == (
        "FA-2026-001",
        "Société Générale Café",
    )
