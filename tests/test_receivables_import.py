"""Receivables: CSV import with a preview and row-level errors, into one of the user's
workspaces; the admin shows what a partially paid receivable still owes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from reconciliation.models import Receivable
from reconciliation.models import ReceivableStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_receivable
from tests.factories import make_workspace
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:reconciliation_receivable_import")
PROCESS = reverse("admin:reconciliation_receivable_process_import")
CHANGELIST = reverse("admin:reconciliation_receivable_changelist")
HEADER = "reference,customer_name,customer_iban,amount,currency,issue_date,due_date\n"


@pytest.fixture
def member(workspace: Workspace) -> Client:
    """A reviewer of ``workspace``, signed in."""
    return client_for(workspace)


def csv_format(client: Client) -> str:
    choices = client.get(IMPORT).context["form"].fields["format"].choices
    return next(str(value) for value, label in choices if label.lower() == "csv")


def upload(client: Client, workspace: Workspace, body: str) -> Any:
    return client.post(
        IMPORT,
        {
            "workspace": workspace.pk,
            "format": csv_format(client),
            "import_file": SimpleUploadedFile("receivables.csv", (HEADER + body).encode()),
        },
    )


def upload_and_confirm(client: Client, workspace: Workspace, body: str) -> Any:
    """Upload ``body`` and confirm its preview as is; returns the preview."""
    preview = upload(client, workspace, body)
    client.post(PROCESS, {**preview.context["confirm_form"].initial, "workspace": workspace.pk})
    return preview


def paid_receivable(workspace: Workspace, reference: str, amount: str, *, paid: str) -> Receivable:
    """A receivable of ``amount`` of which ``paid`` came in (paid, or partially paid)."""
    status = ReceivableStatus.PAID if paid == amount else ReceivableStatus.PARTIALLY_PAID
    return make_receivable(
        workspace,
        reference=reference,
        amount=Decimal(amount),
        amount_paid=Decimal(paid),
        status=status,
    )


def test_valid_file_previews_then_imports_into_the_chosen_workspace(
    workspace: Workspace, member: Client
) -> None:
    preview = upload(
        member,
        workspace,
        'INV-2026-0042,Client SARL,FR76 3000 6000 0112 3456 7890 189,"1 250,50",eur,'
        "2026-11-01,30/11/2026\n"
        "RF18 5390 0754 7034,Globex,,980.00,USD,2026-11-03,\n",
    )

    result = preview.context["result"]
    assert (result.has_errors(), result.has_validation_errors()) == (False, False)
    assert [row.import_type for row in result.rows] == ["new", "new"]
    assert Receivable.objects.count() == 0
    confirm = preview.context["confirm_form"]

    response = member.post(PROCESS, {**confirm.initial, "workspace": workspace.pk})

    assert response.status_code == 302
    rows = {r.reference: r for r in Receivable.objects.filter(workspace=workspace)}
    first = rows["INV-2026-0042"]
    assert (
        first.customer_name,
        first.customer_iban,
        first.amount,
        first.currency,
        first.issue_date,
        first.due_date,
        first.normalized_reference,
        first.normalized_customer,
    ) == (
        "Client SARL",
        "FR7630006000011234567890189",
        Decimal("1250.500"),
        "EUR",
        date(2026, 11, 1),
        date(2026, 11, 30),
        "20260042",
        "client",
    )
    assert rows["RF18 5390 0754 7034"].normalized_reference == "RF18539007547034"
    assert rows["RF18 5390 0754 7034"].currency == "USD"


def test_each_bad_row_is_reported_and_nothing_is_imported(
    workspace: Workspace, member: Client
) -> None:
    preview = upload(
        member,
        workspace,
        "INV-1,Client SARL,,100.00,EUR,2026-11-01,2026-11-30\n"
        "INV-2,Client SARL,,-5,EUR,2026-11-01,2026-11-30\n"
        "INV-3,Client SARL,,abc,EUR,2026-11-01,2026-11-30\n"
        "INV-4,Client SARL,,10.00,EUX,2026-11-01,2026-11-30\n"
        "INV-5,Client SARL,,10.00,EUR,2026-13-45,2026-11-30\n"
        "INV-6,Client SARL,DE00 1234,10.00,EUR,2026-11-01,2026-11-30\n"
        "INV-7,Client SARL,,10.00,EUR,2026-11-30,2026-11-01\n"
        ",Client SARL,,10.00,EUR,,\n",
    )

    result = preview.context["result"]
    invalid = {row.number: row.error_dict for row in result.invalid_rows}
    assert sorted(invalid) == [2, 3, 4, 5, 6, 7, 8]
    assert invalid[2]["amount"] == ["'-5': the amount must be positive"]
    assert invalid[3]["amount"] == ["'abc' is not an amount"]
    assert invalid[4]["currency"] == ["'EUX' is not an ISO 4217 currency code."]
    assert invalid[5]["issue_date"] == ["'2026-13-45' is not a date (use YYYY-MM-DD or DD/MM/YYYY)"]
    assert invalid[6]["customer_iban"] == ["DE001234 is not a valid IBAN."]
    assert invalid[7]["due_date"] == ["The due date is before the issue date."]
    assert "reference" in invalid[8]
    assert "confirm_form" not in preview.context
    assert Receivable.objects.count() == 0


@pytest.mark.postgres
def test_reimport_updates_by_reference_and_keeps_what_was_paid(
    workspace: Workspace, member: Client
) -> None:
    existing = paid_receivable(workspace, "INV-1", "100.00", paid="40.00")

    preview = upload_and_confirm(
        member, workspace, "INV-1,Client SARL,,120.00,EUR,2026-11-01,2026-11-30\n"
    )

    existing.refresh_from_db()
    assert [row.import_type for row in preview.context["result"].rows] == ["update"]
    assert (existing.amount, existing.amount_paid, existing.amount_due) == (
        Decimal("120.000"),
        Decimal("40.000"),
        Decimal("80.000"),
    )
    assert Receivable.objects.count() == 1


def test_the_same_reference_in_another_workspace_is_another_receivable(
    workspace: Workspace, member: Client
) -> None:
    other = make_workspace("Other SAS")
    theirs = make_receivable(other, reference="INV-1", amount=Decimal("999.00"))

    upload_and_confirm(member, workspace, "INV-1,Client SARL,,120.00,EUR,2026-11-01,2026-11-30\n")

    theirs.refresh_from_db()
    assert theirs.amount == Decimal("999.000")
    assert Receivable.objects.get(workspace=workspace).amount == Decimal("120.000")


def test_only_the_users_workspaces_can_be_imported_into(
    workspace: Workspace, member: Client
) -> None:
    other = make_workspace("Other SAS")

    form = member.get(IMPORT).context["form"]
    response = upload(member, other, "INV-1,Client SARL,,120.00,EUR,,\n")

    assert list(form.fields["workspace"].queryset) == [workspace]
    assert "workspace" in response.context["form"].errors
    assert Receivable.objects.count() == 0


def test_auditors_cannot_import(workspace: Workspace) -> None:
    client = client_for(workspace, Role.AUDITOR)

    assert client.get(IMPORT).status_code == 403


def test_partially_paid_receivable_shows_what_is_still_due(
    workspace: Workspace, member: Client
) -> None:
    paid_receivable(workspace, "INV-PART", "500.00", paid="200.00")
    paid_receivable(workspace, "INV-DONE", "80.00", paid="80.00")

    body = member.get(CHANGELIST, {"payment": "due"}).content.decode()

    assert "INV-PART" in body
    assert "INV-DONE" not in body
    assert '<td class="field-paid">200.00 EUR</td>' in body
    assert '<td class="field-due">300.00 EUR</td>' in body


def test_reimporting_a_higher_amount_reopens_a_paid_receivable(
    workspace: Workspace, member: Client
) -> None:
    existing = paid_receivable(workspace, "INV-2", "500.00", paid="500.00")

    upload_and_confirm(member, workspace, "INV-2,Client SARL,,800.00,EUR,2026-11-01,2026-11-30\n")

    existing.refresh_from_db()
    assert (existing.status, existing.amount_due) == (
        ReceivableStatus.PARTIALLY_PAID,
        Decimal("300.000"),
    )
    assert Receivable.objects.open().filter(pk=existing.pk).exists()
