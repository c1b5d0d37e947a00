"""What the new-user tour read wrong in the settings and their trails: a routing-rules export
without its currency and amount conditions and with 1 / 0 for yes / no, "5000.000" and "By is
active" on the rules list, thresholds not said to be percent, "Fx tolerance percent"; sync runs
of a person's Sync now labelled "Window closing", a Sync runs list that cannot tell two folder
polls apart, its raw JSON details in the export; an internal folder id in the Connections list;
and an old Documents address (``?status__exact=failed``) filtering on a status no longer shown."""

from __future__ import annotations

import re
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reconciliation.admin.resources import sync_details_text
from reconciliation.models import Connection
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import RoutingRule
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import SyncStatus
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_document
from tests.factories import make_user
from tests.factories import make_vendor
from tests.helpers import XLSX_FORMAT
from tests.helpers import client_for
from tests.helpers import column_cells
from tests.helpers import column_headers
from tests.helpers import export_every_column
from tests.helpers import exported_rows
from tests.helpers import logged_in_client
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

RULES = reverse("admin:reconciliation_routingrule_changelist")
RUNS = reverse("admin:reconciliation_syncrun_changelist")
CONNECTIONS = reverse("admin:reconciliation_connection_changelist")
DOCUMENTS = reverse("admin:reconciliation_document_changelist")


def _filter_choices(page: str, title: str) -> list[str]:
    """The labels of the list filter titled "By `title`" (Django's "-" included)."""
    block = re.search(rf"<summary>\s*By {title}\s*</summary>(.*?)</details>", page, re.S)
    assert block is not None, title
    return [label.strip() for label in re.findall(r'<a href="[^"]*">([^<]*)</a>', block.group(1))]


def _rules(workspace: Workspace) -> tuple[RoutingRule, RoutingRule]:
    """A rule naming every condition (vendor, kind, currency, amount) and one naming none."""
    vendor = make_vendor(workspace, "Acme Supplies GmbH")
    every = RoutingRule.objects.create(
        workspace=workspace,
        name="Large USD invoices of Acme",
        priority=5,
        vendor=vendor,
        document_kind=DocumentKind.INVOICE,
        currency="USD",
        amount_above=Decimal("5000.000"),
        review_threshold=Decimal("60.00"),
        auto_post_threshold=Decimal("92.50"),
        always_review=True,
    )
    loose = RoutingRule.objects.create(
        workspace=workspace,
        name="Anything large",
        priority=9,
        is_active=False,
        amount_above=Decimal("12000.000"),
    )
    return every, loose


# --- 1. the routing rules export ------------------------------------------------------------


def test_the_routing_rules_export_writes_every_condition_and_setting(workspace: Workspace) -> None:
    _rules(workspace)
    rows = {row["Name"]: row for row in exported_rows(client_for(workspace), "routingrule")}
    every, loose = rows["Large USD invoices of Acme"], rows["Anything large"]

    conditions = ("Vendor", "Document kind", "Currency", "Amount above")
    assert [every[c] for c in conditions] == [
        "Acme Supplies GmbH",
        str(DocumentKind.INVOICE.label),
        "USD",
        "5000.00",
    ]
    # No currency of its own: any currency, the amount in the home currency (EUR: 2 places).
    assert [loose[c] for c in conditions] == ["", "", "", "12000.00"]
    settings = ("Active", "Always review", "Review threshold", "Auto-post threshold")
    assert [every[s] for s in settings] == ["Yes", "Yes", "60 %", "92.50 %"]
    assert [loose[s] for s in settings] == ["No", "No", "55 %", "85 %"]
    assert "Is active" not in every


def test_the_routing_rules_xlsx_writes_the_amount_as_a_number(workspace: Workspace) -> None:
    _rules(workspace)
    response = export_every_column(client_for(workspace), "routingrule", file_format=XLSX_FORMAT)
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    headers = [cell.value for cell in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    amounts = [row[headers.index("Amount above")] for row in rows]
    assert sorted(cell.value for cell in amounts) == [5000, 12000]
    assert {cell.number_format for cell in amounts} == {"#,##0.00"}
    assert sorted(row[headers.index("Active")].value for row in rows) == ["No", "Yes"]


# --- 2. the routing rules list and form, the workspace form ---------------------------------


def test_the_rules_list_shows_money_and_a_worded_active_filter(workspace: Workspace) -> None:
    _rules(workspace)
    page = client_for(workspace, Role.ADMIN).get(RULES).content.decode()

    assert sorted(column_cells(page, "amount_above_shown")) == ["12,000.00 EUR", "5,000.00 USD"]
    assert "5000.000" not in page
    assert "Active" in column_headers(page)
    assert _filter_choices(page, "active") == ["All", "Yes", "No"]
    assert "By is active" not in page


def test_the_rule_and_workspace_forms_say_their_units(workspace: Workspace) -> None:
    admin = make_user("root", superuser=True)
    client = logged_in_client(admin)
    rule = visible_text(
        client.get(reverse("admin:reconciliation_routingrule_add")).content.decode()
    )
    assert "Review threshold:" in rule
    assert rule.count("In percent (0 to 100)") == 2
    assert "in the rule's currency (without one: the total converted to the workspace's" in rule
    page = client.get(reverse("admin:reconciliation_workspace_change", args=[workspace.pk]))
    text = visible_text(page.content.decode())
    assert "FX tolerance (%):" in text
    assert "Fx tolerance percent" not in text


# --- 3. sync runs: the trigger of a Sync now, the connection column, the details ----------


def test_a_sync_now_on_qonto_labels_its_runs_by_hand(
    workspace: Workspace, qonto: Connection, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(workspace, Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            CONNECTIONS, {"action": "sync_now", "_selected_action": [qonto.pk]}, follow=True
        )
    assert b"transactions, matching and posting queued" in answer.content

    runs = SyncRun.objects.filter(workspace=workspace)
    assert {run.kind for run in runs} == {
        SyncKind.TRANSACTIONS,
        SyncKind.MATCHING,
        SyncKind.POSTING,
    }
    assert {run.get_trigger_display() for run in runs} == {"Sync now (by hand)"}
    page = client.get(RUNS).content.decode()
    assert set(column_cells(page, "trigger")) == {"Sync now (by hand)"}


def test_a_window_closed_by_its_last_document_still_says_so(
    workspace: Workspace, qonto: Connection
) -> None:
    from reconciliation import tasks

    assert tasks.close_window(workspace.pk) == "closed"
    runs = SyncRun.objects.filter(workspace=workspace)
    assert runs.count() == 3
    assert {run.trigger for run in runs} == {"window"}


def test_the_sync_runs_list_names_each_runs_connection(workspace: Workspace) -> None:
    invoices = make_connection(workspace, account_label="Team Dropbox", watched_folder="/Invoices")
    receipts = make_connection(workspace, account_label="Team Dropbox", watched_folder="/Receipts")
    for connection in (invoices, receipts, None):
        SyncRun.objects.create(
            workspace=workspace,
            connection=connection,
            kind=SyncKind.FILES if connection else SyncKind.MATCHING,
            status=SyncStatus.SUCCEEDED,
        )
    page = client_for(workspace, Role.AUDITOR).get(RUNS).content.decode()

    assert "Connection" in column_headers(page)
    assert sorted(column_cells(page, "connection_shown")) == [
        "Team Dropbox · folder “/Invoices”",
        "Team Dropbox · folder “/Receipts”",
        "—",
    ]
    choices = _filter_choices(page, "connection")
    assert choices == [
        "All",
        "Team Dropbox · folder “/Invoices”",
        "Team Dropbox · folder “/Receipts”",
        "No connection (matching)",
    ]
    assert "-" not in choices
    chosen = client_for(workspace, Role.AUDITOR).get(f"{RUNS}?connection__id__exact={receipts.pk}")
    assert column_cells(chosen.content.decode(), "connection_shown") == [
        "Team Dropbox · folder “/Receipts”"
    ]


def test_the_sync_runs_export_writes_details_as_people_read_them(workspace: Workspace) -> None:
    bank = make_connection(workspace, Provider.QONTO, account_label="Qonto")
    account = "0b6c1a2e-7f3d-4c1b-9d2a-5e8f7a6b4c3d"
    SyncRun.objects.create(
        workspace=workspace,
        connection=bank,
        kind=SyncKind.TRANSACTIONS,
        details={
            "created": 4,
            "updated": 1,
            "unchanged": 0,
            "pages": 1,
            "accounts": [account, "another-account"],
            "synced_until": None,
        },
    )
    SyncRun.objects.create(
        workspace=workspace,
        kind=SyncKind.MATCHING,
        details={"credits_confirmed": 3, "confirmed": 2, "seconds": 0.41, "new_count": 1},
    )
    rows = exported_rows(client_for(workspace, Role.AUDITOR), "syncrun")
    details = {row["Kind"]: row["Details"] for row in rows}

    assert details[str(SyncKind.TRANSACTIONS.label)] == (
        "Transactions new: 4; Transactions updated: 1; Transactions unchanged: 0; Pages read: 1; "
        "Bank accounts: 2; Synced until: —"
    )
    assert details[str(SyncKind.MATCHING.label)] == (
        "Payment confirmations matched to a debit: 2; Credits confirmed: 3; Seconds: 0.41; "
        "New count: 1"
    )
    assert all(account not in text and "{" not in text for text in details.values())
    assert {row["Kind"]: row["Connection"] for row in rows}[str(SyncKind.TRANSACTIONS.label)] == (
        "Qonto"
    )


def test_a_folder_polls_details_read_in_words() -> None:
    assert sync_details_text({"cursor_reset": True, "file_errors": ["/a.pdf: gone", "/b: x"]}) == (
        "Folder listed again from the start: Yes; Files not fetched: /a.pdf: gone | /b: x"
    )
    assert sync_details_text({}) == ""


# --- 4. the Connections list ----------------------------------------------------------------


def test_the_connections_list_shows_the_folders_name_its_id_only_as_a_tooltip(
    workspace: Workspace,
) -> None:
    folder_id = "IFYROysULKgM5ZExAA0u0A"
    make_connection(
        workspace,
        Provider.APIDECK,
        account_label="Apideck Dropbox",
        watched_folder=folder_id,
        watched_folder_name="Apideck inbox",
    )
    make_connection(workspace, account_label="Team Dropbox", watched_folder="/Invoices")
    page = client_for(workspace, Role.ADMIN).get(CONNECTIONS).content.decode()

    assert sorted(column_cells(page, "watched_folder_shown")) == ["/Invoices", "Apideck inbox"]
    assert f"Apideck inbox ({folder_id})" not in page
    assert f'<span title="{folder_id}">Apideck inbox</span>' in page


# --- 5. the Documents list's old status address ---------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("status__exact=failed", "standing=unreadable"),
        ("status=failed", "standing=unreadable"),
        ("status__exact=duplicate&o=-7", "o=-7&standing=duplicate"),
        ("status__exact=new", "standing=reading"),
    ],
)
def test_an_old_status_address_is_taken_to_its_standing(
    workspace: Workspace, old: str, new: str
) -> None:
    response = client_for(workspace).get(f"{DOCUMENTS}?{old}")
    assert (response.status_code, response["Location"]) == (302, f"{DOCUMENTS}?{new}")


def test_the_old_failed_address_lists_the_unreadable_documents(workspace: Workspace) -> None:
    make_document(workspace, original_name="broken.pdf", status=DocumentStatus.FAILED)
    make_document(workspace, original_name="fine.pdf")
    page = client_for(workspace).get(f"{DOCUMENTS}?status__exact=failed", follow=True)
    listing = page.content.decode()
    assert column_cells(listing, "standing") == ["Unreadable"]
    assert "broken.pdf" in listing
    assert "fine.pdf" not in listing


@pytest.mark.parametrize(
    "old",
    [
        "status__exact=parsed",  # read, and then one of many standings
        "status__in=failed,duplicate",
        "status__exact=nonsense",
        "status__exact=failed&standing=needs_review",
    ],
)
def test_an_old_status_address_without_one_standing_is_refused(
    workspace: Workspace, old: str
) -> None:
    response = client_for(workspace).get(f"{DOCUMENTS}?{old}")
    assert (response.status_code, response["Location"]) == (302, f"{DOCUMENTS}?e=1")


def test_other_documents_filters_are_left_alone(workspace: Workspace) -> None:
    response = client_for(workspace).get(f"{DOCUMENTS}?status_reason__isnull=False&stuck=ignored")
    assert response.status_code == 200
