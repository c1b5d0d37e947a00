"""Tenant isolation of the review queue, review screen, page images, PDF downloads, dashboard
and its progress feed: a member of workspace A never sees or touches workspace B, even with
forged ids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from fpdf import FPDF

from reconciliation.models import Decision
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_document
from tests.factories import make_double_charge
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_sync_run
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_vendor
from tests.factories import make_workspace
from tests.helpers import client_for
from tests.helpers import logged_in_client
from tests.helpers import review_screen

pytestmark = pytest.mark.django_db


def _pdf(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


@dataclass
class Tenant:
    workspace: Workspace
    marker: str
    vendor: Vendor
    invoice: Invoice
    confirmation: Document
    candidate: Match
    double_charge: Match
    held: Invoice


def _tenant(name: str) -> Tenant:
    marker = f"MARKER-{name}-{uuid.uuid4().hex[:6]}"
    workspace = make_workspace(f"Workspace {marker}")
    vendor = make_vendor(workspace, name=f"Vendor {marker}")
    document = make_document(workspace, original_name=f"{marker}.pdf", page_count=1)
    document.file.save("f.pdf", ContentFile(_pdf(marker)))
    invoice = make_invoice(
        workspace, document=document, vendor=vendor, supplier_name=f"Supplier {marker}"
    )
    confirmation = make_document(
        workspace, kind=DocumentKind.PAYMENT_CONFIRMATION, original_name=f"pay-{marker}.pdf"
    )
    candidate = make_match(
        workspace, document=confirmation, transaction=make_transaction(workspace)
    )
    settled = make_invoice(workspace, status=InvoiceStatus.POSTED, number=f"S-{marker}")
    held = make_invoice(
        workspace, document=make_document(workspace, original_name=f"held-{marker}.pdf")
    )
    double_charge = make_double_charge(held, settled, hold_reason="double")
    make_sync_run(
        workspace, make_connection(workspace, account_label=f"Dropbox {marker}"), files_seen=4242
    )
    return Tenant(workspace, marker, vendor, invoice, confirmation, candidate, double_charge, held)


@pytest.fixture
def tenants() -> tuple[Tenant, Tenant]:
    return _tenant("A"), _tenant("B")


@pytest.mark.postgres
@pytest.mark.parametrize("role", [Role.REVIEWER, Role.AUDITOR, Role.ADMIN])
def test_pages_never_show_another_workspace(tenants: tuple[Tenant, Tenant], role: Role) -> None:
    mine, theirs = tenants
    client = client_for(mine.workspace, role)
    pages = [
        "/admin/",
        "/admin/review/",
        f"/admin/review/?workspace={theirs.workspace.pk}",
        f"/admin/review/?invoice__vendor__id__exact={theirs.vendor.pk}",
        f"/admin/review/?q={theirs.marker}",
        "/admin/review/?reason=double_charge",
        "/admin/review/?kind__exact=payment_confirmation",
        review_screen(mine.invoice.document_id),
        review_screen(mine.confirmation.pk),
        review_screen(mine.held.document_id),
        reverse("admin:reconciliation-dashboard-progress"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 302), url
        body = response.content.decode()
        echoed = body.replace(f"q={theirs.marker}", "").replace(f'value="{theirs.marker}"', "")
        assert theirs.marker not in echoed, url
    home = client.get("/admin/").content.decode()
    assert mine.marker in home
    queue = client.get("/admin/review/").content.decode()
    assert mine.marker in queue


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.AUDITOR, Role.ADMIN])
def test_forged_ids_are_not_found(tenants: tuple[Tenant, Tenant], role: Role) -> None:
    mine, theirs = tenants
    client = client_for(mine.workspace, role)
    other = theirs.invoice.document_id
    screen = review_screen(other)
    assert client.get(screen).status_code == 404
    assert client.post(screen, {"action": "approve"}).status_code == 404
    assert client.post(screen, {"action": "refuse", "reason": "x" * 10}).status_code == 404
    page = reverse("admin:reconciliation-review-page", args=[other, 1])
    assert client.get(page).status_code == 404
    assert client.get(reverse("admin:reconciliation-review-file", args=[other])).status_code == 404
    assert client.get(review_screen(999_999)).status_code == 404
    theirs.invoice.refresh_from_db()
    assert theirs.invoice.status == InvoiceStatus.NEEDS_REVIEW


def test_own_file_and_page_are_served(tenants: tuple[Tenant, Tenant]) -> None:
    mine, _ = tenants
    client = client_for(mine.workspace, Role.AUDITOR)
    document_id = mine.invoice.document_id
    page = client.get(reverse("admin:reconciliation-review-page", args=[document_id, 1]))
    assert (page.status_code, page["Content-Type"]) == (200, "image/png")
    assert page.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert (
        client.get(reverse("admin:reconciliation-review-page", args=[document_id, 2])).status_code
        == 404
    )
    download = client.get(reverse("admin:reconciliation-review-file", args=[document_id]))
    assert download.status_code == 200


def test_another_workspace_match_cannot_be_decided_from_my_document(
    tenants: tuple[Tenant, Tenant],
) -> None:
    mine, theirs = tenants
    client = client_for(mine.workspace, Role.REVIEWER)
    forged = [
        (mine.confirmation.pk, "pick", theirs.candidate.pk),
        (mine.held.document_id, "refuse_double", theirs.double_charge.pk),
        (mine.held.document_id, "not_duplicate", theirs.double_charge.pk),
        # my own match, but through another of my documents
        (mine.invoice.document_id, "pick", mine.candidate.pk),
    ]
    for document_id, action, match_id in forged:
        response = client.post(review_screen(document_id), {"action": action, "match": match_id})
        assert response.status_code == 404, (action, match_id)
    assert set(Match.objects.values_list("status", flat=True)) == {MatchStatus.PROPOSED}
    assert not Decision.objects.exists()


def test_bulk_actions_ignore_another_workspace_ids(tenants: tuple[Tenant, Tenant]) -> None:
    mine, theirs = tenants
    client = client_for(mine.workspace, Role.REVIEWER)
    ids = [theirs.invoice.document_id, theirs.held.document_id]
    page = client.post(
        "/admin/review/", {"action": "approve_selected", "_selected_action": ids, "index": "0"}
    )
    assert theirs.marker not in page.content.decode()
    client.post(
        "/admin/review/", {"action": "approve_selected", "_selected_action": ids, "post": "yes"}
    )
    client.post(
        "/admin/review/",
        {"action": "refuse_selected", "_selected_action": ids, "post": "yes", "reason": "forged"},
    )
    assert set(
        Invoice.objects.filter(workspace=theirs.workspace).values_list("status", flat=True)
    ) == {
        InvoiceStatus.NEEDS_REVIEW,
        InvoiceStatus.POSTED,
    }
    assert not Decision.objects.exists()


def test_read_only_role_in_one_workspace_is_read_only_there(tenants: tuple[Tenant, Tenant]) -> None:
    mine, theirs = tenants
    user = make_user(workspace=mine.workspace, role=Role.AUDITOR)
    client = logged_in_client(user)
    theirs.workspace.memberships.create(user_id=user.pk, role=Role.REVIEWER)
    ids = [mine.invoice.document_id, theirs.invoice.document_id]
    client.post(
        "/admin/review/", {"action": "approve_selected", "_selected_action": ids, "post": "yes"}
    )
    mine.invoice.refresh_from_db()
    theirs.invoice.refresh_from_db()
    assert (mine.invoice.status, theirs.invoice.status) == (
        InvoiceStatus.NEEDS_REVIEW,
        InvoiceStatus.APPROVED,
    )
    screen = review_screen(mine.invoice.document_id)
    assert client.post(screen, {"action": "save"}).status_code == 403


def test_dashboard_and_progress_show_only_my_workspaces(tenants: tuple[Tenant, Tenant]) -> None:
    mine, theirs = tenants
    client = client_for(mine.workspace, Role.AUDITOR)
    runs = client.get(reverse("admin:reconciliation-dashboard-progress")).json()["runs"]
    assert [run["workspace"] for run in runs] == [mine.workspace.pk]
    home = client.get("/admin/").content.decode()
    assert f'data-workspace="{mine.workspace.pk}"' in home
    assert f'data-workspace="{theirs.workspace.pk}"' not in home


def test_superuser_sees_both_workspaces(tenants: tuple[Tenant, Tenant]) -> None:
    mine, theirs = tenants
    admin_user = make_user(superuser=True)
    client = logged_in_client(admin_user)
    queue = client.get("/admin/review/").content.decode()
    assert mine.marker in queue
    assert theirs.marker in queue
    assert client.get(review_screen(theirs.invoice.document_id)).status_code == 200
