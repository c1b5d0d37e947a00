"""The receivable, vendor, document and invoice lists fit a 1440 px wide screen: every column
whole, long text cut with an ellipsis (whole in the tooltip), no workspace column for a user of
one workspace."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from reconciliation.models import Membership
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_receivable
from tests.factories import make_user
from tests.factories import make_vendor
from tests.factories import make_workspace
from tests.helpers import logged_in_client
from tests.plugins.browser import assert_lists_fit

LONG_NAME = "Papeterie Générale du Grand Ouest et des Pays de Loire SAS (établissement secondaire)"
LISTS = ("receivable", "vendor", "document", "invoice")


def _fill(workspace: Workspace) -> None:
    vendor = make_vendor(workspace, LONG_NAME, domain="papeterie-generale-grand-ouest.example.fr")
    for index in range(4):
        document = make_document(
            workspace,
            original_name=f"2026-11-facture-papeterie-generale-grand-ouest-{index:04d}-copie.pdf",
            status_reason="The text layer is empty and the scan was read by OCR at low confidence",
        )
        make_invoice(
            workspace,
            document=document,
            vendor=vendor,
            supplier_name=LONG_NAME,
            number=f"FAC-2026-11-{index:06d}-GRAND-OUEST",
            total_amount=Decimal("1283440.50"),
        )
        make_receivable(
            workspace,
            reference=f"INV-2026-{index:04d}-GRAND-OUEST-PAYS-DE-LOIRE",
            customer_name=LONG_NAME,
            amount=Decimal("1283440.50"),
            amount_paid=Decimal("641720.25"),
            due_date=date(2026, 12, 1),
        )


@pytest.mark.browser
def test_the_lists_fit_1440_pixels(
    live_server: LiveServer, admin_page: Page, workspace: Workspace
) -> None:
    _fill(workspace)
    assert_lists_fit(admin_page, live_server.url, LISTS)
    tooltip = admin_page.evaluate(
        "() => [...document.querySelectorAll('#result_list td.field-vendor')]"
        ".map(cell => cell.title)"
    )
    assert tooltip == [LONG_NAME] * 4


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(LISTS))
def test_the_workspace_column_is_only_for_users_of_several_workspaces(
    workspace: Workspace, model: str
) -> None:
    _fill(workspace)
    url = f"/admin/reconciliation/{model}/"
    single = logged_in_client(make_user(workspace=workspace, role=Role.ADMIN)).get(url)
    user = make_user(workspace=workspace, role=Role.ADMIN)
    Membership.objects.create(workspace=make_workspace("Second"), user=user, role=Role.AUDITOR)
    several = logged_in_client(user).get(url)
    assert (b"column-workspace" in single.content, b"column-workspace" in several.content) == (
        False,
        True,
    )
