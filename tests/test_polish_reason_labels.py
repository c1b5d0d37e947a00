"""Reason codes are for filters and files; people read the registry's label: the dashboard, the
list filters and the invoice export (which keeps the code column beside the label column)."""

from __future__ import annotations

import re

import pytest

from reconciliation.invoices.reasons import sentence
from reconciliation.models import InvoiceStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_user
from tests.helpers import exported_rows
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db

NEW_IBAN = "New IBAN (possible payment fraud)"


def held_for_a_new_iban(workspace: Workspace) -> None:
    invoice = make_invoice(workspace, number="IBAN-1", status=InvoiceStatus.NEEDS_REVIEW)
    reason = sentence(
        "iban_changed", iban="LT121000011101001000", vendor="Acme", known="DE89370400440532013000"
    )
    invoice.hold(reason.text)
    invoice.save()


def test_the_dashboard_names_the_reason_by_its_label(workspace: Workspace) -> None:
    held_for_a_new_iban(workspace)
    client = logged_in_client(make_user("ada", workspace=workspace, role=Role.ADMIN))

    page = client.get("/admin/").content.decode()

    box = page[page.index("Review queue by reason") :]
    box = box[: box.index("</div>")]
    assert re.findall(r"<li>(.*?)</li>", box) == [
        f'<a href="/admin/review/?code=iban_changed" title="Reason code: iban_changed">'
        f"{NEW_IBAN}</a> 1"
    ]


def test_the_reason_filters_offer_labels(workspace: Workspace) -> None:
    client = logged_in_client(make_user("ada", workspace=workspace, role=Role.ADMIN))

    for url in ("/admin/reconciliation/invoice/", "/admin/review/?all="):
        page = client.get(url).content.decode()
        assert re.search(rf'code=iban_changed"[^>]*>{re.escape(NEW_IBAN)}</a>', page), url
        assert "iban_changed —" not in page, url


def test_the_invoice_export_has_codes_and_labels(workspace: Workspace) -> None:
    held_for_a_new_iban(workspace)
    client = logged_in_client(make_user("audrey", workspace=workspace, role=Role.AUDITOR))

    [row] = exported_rows(client, "invoice")
    assert (row["Number"], row["Reason codes"], row["Reason labels"]) == (
        "IBAN-1",
        "iban_changed",
        NEW_IBAN,
    )
