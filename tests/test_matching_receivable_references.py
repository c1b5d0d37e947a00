"""Receivables known by several references: the optional CSV column ``other_references``
("number; RF…" in one cell) is imported, and a credit naming any of them pays the receivable."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reconciliation.matching import match_window
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Provider
from reconciliation.models import Receivable
from reconciliation.models import ReceivableStatus
from reconciliation.models import Side
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_transaction
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

HEADER = "reference,customer_name,amount,currency,issue_date,other_references\n"
IMPORT = reverse("admin:reconciliation_receivable_import")
PROCESS = reverse("admin:reconciliation_receivable_process_import")


def test_other_references_are_imported_and_pay_the_receivable(workspace: Workspace) -> None:
    client = client_for(workspace)
    choices = client.get(IMPORT).context["form"].fields["format"].choices
    csv_format = next(str(value) for value, label in choices if label.lower() == "csv")
    body = (
        "+++090/9337/55493+++,Client SARL,740.00,EUR,2026-10-01,C-2026-0192; PO 5531\n"
        "C-2026-0193,Globex,740.00,EUR,2026-10-01,\n"
    )
    preview = client.post(
        IMPORT,
        {
            "workspace": workspace.pk,
            "format": csv_format,
            "import_file": SimpleUploadedFile("receivables.csv", (HEADER + body).encode()),
        },
    )
    client.post(PROCESS, {**preview.context["confirm_form"].initial, "workspace": workspace.pk})
    paid = make_transaction(
        workspace,
        make_connection(workspace, Provider.QONTO, watched_folder=""),
        side=Side.CREDIT,
        amount=Decimal("740.00"),
        counterparty_name="CLIENT SARL",
        reference="Facture C2026-0192",
        value_date=date(2026, 10, 20),
    )

    match_window(workspace_id=workspace.pk, today=date(2026, 11, 27))

    rows = {r.reference: r for r in Receivable.objects.filter(workspace=workspace)}
    first = rows["+++090/9337/55493+++"]
    assert (first.other_references, rows["C-2026-0193"].other_references) == (
        ["C-2026-0192", "PO 5531"],
        [],
    )
    link = Match.objects.get(kind=MatchKind.CREDIT_RECEIVABLE)
    assert (link.receivable_id, link.transaction_id, link.status) == (
        first.pk,
        paid.pk,
        MatchStatus.CONFIRMED,
    )
    first.refresh_from_db()
    assert first.status == ReceivableStatus.PAID
