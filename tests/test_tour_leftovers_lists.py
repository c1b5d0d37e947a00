"""What the new-user tour still read wrong on the lists: the sync-run and routing-rule exports'
raw codes and "55.00" thresholds, no bulk "Refund requested" on the Matches list, a supplier's
credit-note refund listed as "Credit ↔ receivable", and a Documents status filter offering the
file's raw statuses where the Status column says where each document stands."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from reconciliation.models import DocumentKind
from reconciliation.models import Role
from reconciliation.models import RoutingRule
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import SyncStatus
from reconciliation.models import Workspace
from reconciliation.models.audit import SyncTrigger
from tests.helpers import client_for
from tests.helpers import exported_rows

pytestmark = pytest.mark.django_db

MATCHES = reverse("admin:reconciliation_match_changelist")
DOCUMENTS = reverse("admin:reconciliation_document_changelist")
DAYS = (date(2026, 11, 2), date(2026, 11, 9))


def _export(client: Client, model: str) -> tuple[list[str], list[str], list[dict[str, str]]]:
    """The export form's column labels, the CSV's headers and its rows (every column)."""
    form = client.get(f"/admin/reconciliation/{model}/export/").content.decode()
    labels = re.findall(r'<label for="id_\w+resource_[^"]+">([^<]+)</label>', form)
    rows = exported_rows(client, model)
    return [label.strip() for label in labels], list(rows[0]) if rows else [], rows


def _filter_choices(page: str, title: str) -> list[tuple[str, str]]:
    """(query string, label) of each choice of the list filter titled `title`."""
    block = re.search(rf"<summary>\s*By {title}\s*</summary>(.*?)</details>", page, re.S)
    assert block is not None, title
    return [
        (query.replace("&amp;", "&"), label.strip())
        for query, label in re.findall(r'<a href="([^"]*)">([^<]*)</a>', block.group(1))
    ]


def _cells(page: str, column: str) -> list[str]:
    return re.findall(rf'<td class="field-{column}">(.*?)</td>', page, re.S)


# --- 1. exports of sync runs and routing rules ----------------------------------------------


def test_the_sync_runs_export_writes_kind_trigger_and_status_as_people_read_them(
    workspace: Workspace,
) -> None:
    SyncRun.objects.create(
        workspace=workspace,
        kind=SyncKind.MATCHING,
        trigger="window",
        status=SyncStatus.PARTIAL,
    )
    labels, headers, [row] = _export(client_for(workspace, Role.AUDITOR), "syncrun")

    assert labels == headers
    assert [row[h] for h in ("Kind", "Trigger", "Status")] == [
        str(SyncKind.MATCHING.label),
        "Window closing",
        "Partly failed",
    ]
    assert [row[h] for h in ("Kind code", "Trigger code", "Status code")] == [
        "matching",
        "window",
        "partial",
    ]
    # Each code sits just after its label, as in the other exports.
    for column in ("Kind", "Trigger", "Status"):
        assert headers[headers.index(column) + 1] == f"{column} code"


def test_every_trigger_a_sync_run_is_started_with_has_a_label() -> None:
    assert {str(trigger) for trigger in SyncTrigger.values} == {"schedule", "manual", "window"}
    assert all(label and label != value for value, label in SyncTrigger.choices)


def test_the_routing_rules_export_writes_thresholds_in_percent_under_the_fields_names(
    workspace: Workspace,
) -> None:
    RoutingRule.objects.create(
        workspace=workspace,
        name="Large invoices",
        document_kind=DocumentKind.INVOICE,
        review_threshold=Decimal("55.00"),
        auto_post_threshold=Decimal("92.50"),
    )
    labels, headers, [row] = _export(client_for(workspace, Role.AUDITOR), "routingrule")

    assert labels == headers
    assert (row["Review threshold"], row["Auto-post threshold"]) == ("55 %", "92.50 %")
    assert "Auto post threshold" not in headers
    assert (row["Document kind"], row["Document kind code"]) == (
        str(DocumentKind.INVOICE.label),
        "invoice",
    )


def test_the_workspace_settings_read_as_people_read_them(workspace: Workspace) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(match_threshold=Decimal("82.50"))
    page = client_for(workspace, Role.ADMIN).get(
        reverse("admin:reconciliation_workspace_changelist")
    )
    body = page.content.decode()
    headers = [
        re.sub(r"<[^>]+>", "", header).strip()
        for header in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', body, re.S)
    ]
    assert headers[-4:] == [
        "Review threshold",
        "Auto-post threshold",
        "Match threshold",
        "Poll interval (minutes)",
    ]
    assert [
        _cells(body, column) for column in ("review_percent", "auto_post_percent", "match_percent")
    ] == [["55 %"], ["85 %"], ["82.50 %"]]
