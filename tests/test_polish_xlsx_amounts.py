"""XLSX exports write amounts as number cells formatted with their currency's minor units
("#,##0.00" for EUR, "#,##0" for JPY, "#,##0.000" for KWD), not as "General" or as text; CSV
is unchanged."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook  # type: ignore[import-untyped]

from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import make_user
from tests.helpers import XLSX_FORMAT
from tests.helpers import export_every_column
from tests.helpers import exported_rows
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(workspace: Workspace) -> Client:
    return logged_in_client(make_user("audrey", workspace=workspace, role=Role.AUDITOR))


def cells(content: bytes, key: str, columns: tuple[str, ...]) -> dict[Any, list[tuple[Any, ...]]]:
    """Per row (by its ``key`` column): each column's (value, cell type, number format)."""
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    found = {}
    for row in rows[1:]:
        by_name = dict(zip(header, row, strict=True))
        found[by_name[key].value] = [
            (by_name[c].value, by_name[c].data_type, by_name[c].number_format) for c in columns
        ]
    return found


def test_invoice_amounts_are_numbers_in_their_minor_units(
    workspace: Workspace, client: Client
) -> None:
    make_invoice(
        workspace,
        number="EUR-1",
        total_amount=Decimal("1283.440"),
        tax_amount=Decimal("213.910"),
        converted_amount=Decimal("1283.440"),
        home_currency="EUR",
    )
    make_invoice(workspace, number="JPY-1", currency="JPY", total_amount=Decimal("125000.000"))
    make_invoice(workspace, number="KWD-1", currency="KWD", total_amount=Decimal("12.345"))

    found = cells(
        export_every_column(client, "invoice", file_format=XLSX_FORMAT).content,
        "Number",
        ("Total amount", "Tax amount", "Converted amount"),
    )

    assert found["EUR-1"] == [
        (1283.44, "n", "#,##0.00"),
        (213.91, "n", "#,##0.00"),
        (1283.44, "n", "#,##0.00"),
    ]
    assert found["JPY-1"][0] == (125000, "n", "#,##0")
    assert found["KWD-1"][0] == (12.345, "n", "#,##0.000")


def test_bank_amounts_are_numbers_in_their_minor_units(
    workspace: Workspace, client: Client
) -> None:
    line = make_transaction(
        workspace, qonto_id="tx-jpy", amount=Decimal("5000.000"), currency="JPY"
    )
    make_match(workspace, transaction=line)

    transactions = cells(
        export_every_column(client, "transaction", file_format=XLSX_FORMAT).content,
        "Qonto id",
        ("Amount",),
    )
    matches = cells(
        export_every_column(client, "match", file_format=XLSX_FORMAT).content,
        "Transaction Qonto id",
        ("Transaction amount",),
    )

    assert transactions["tx-jpy"] == [(5000, "n", "#,##0")]
    assert matches["tx-jpy"] == [(5000, "n", "#,##0")]


def test_csv_amounts_are_unchanged(workspace: Workspace, client: Client) -> None:
    make_invoice(workspace, number="EUR-1", total_amount=Decimal("1283.440"))

    [row] = exported_rows(client, "invoice")

    assert row["Total amount"] == "1283.44"
