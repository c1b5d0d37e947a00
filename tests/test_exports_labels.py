"""The exports write a coded column as people read it ("Wire / remittance notice"), its code
kept beside it in a "… code" column ("wire_notice") for software that reads the file, as the
invoice export does with its status; the labels are the model's choices (or the list's)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from reconciliation.admin.decision_display import AMOUNT_BASIS_LABELS
from reconciliation.admin.resources import DecisionResource
from reconciliation.admin.resources import DocumentResource
from reconciliation.admin.resources import MatchResource
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_user
from tests.factories import make_vendor
from tests.helpers import exported_rows
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def _pick(row: dict[str, Any], *columns: str) -> tuple[str, ...]:
    return tuple(str(row[column]) for column in columns)


def test_a_document_s_kind_and_status_are_labels_beside_their_codes(
    workspace: Workspace,
) -> None:
    make_document(workspace, kind=DocumentKind.WIRE_NOTICE, status=DocumentStatus.PARSED)
    auditor = make_user("audrey", workspace=workspace, role=Role.AUDITOR)
    [row] = exported_rows(logged_in_client(auditor), "document")

    assert _pick(row, "Kind", "Kind code", "Status", "Status code") == (
        "Wire / remittance notice",
        "wire_notice",
        # Where it stands, as the Documents list says it (a read notice, no debit found yet).
        "Waiting for its debit",
        "waiting_for_debit",
    )
    order = list(DocumentResource().get_export_headers())
    assert order.index("Kind code") == order.index("Kind") + 1
    assert order.index("Status code") == order.index("Status") + 1


def test_a_match_s_kind_status_and_amount_basis_are_labels_beside_their_codes(
    workspace: Workspace,
) -> None:
    make_match(
        workspace,
        kind=MatchKind.CONFIRMATION_DEBIT,
        status=MatchStatus.ATTACHED,
        amount_basis="source",
    )
    make_match(
        workspace, kind=MatchKind.DOUBLE_PAYMENT, status=MatchStatus.REFUSED, amount_basis=""
    )
    rows = MatchResource().export(Match.objects.order_by("pk")).dict
    columns = ("Kind", "Kind code", "Status", "Status code", "Amount basis", "Amount basis code")

    assert [_pick(row, *columns) for row in rows] == [
        (
            "Confirmation ↔ debit",
            "confirmation_debit",
            "Attached in Qonto",
            "attached",
            AMOUNT_BASIS_LABELS["source"],
            "source",
        ),
        # The status in the words of its kind, as the list says it.
        ("Possible double payment", "double_payment", "Refund requested", "refused", "", ""),
    ]


def test_a_decision_s_action_is_its_label_beside_its_code(workspace: Workspace) -> None:
    invoice = make_invoice(workspace)
    for action in (DecisionAction.REFUSE, DecisionAction.PICK_MATCH):
        Decision.record_for_invoice(invoice, action, actor=None)
    rows = DecisionResource().export(Decision.objects.order_by("pk")).dict

    assert [_pick(row, "Action", "Action code") for row in rows] == [
        ("Refused", "refuse"),
        ("Match picked", "pick_match"),
    ]
    expected = {str(label) for _, label in DecisionAction.choices}
    assert {row["Action"] for row in rows} <= expected


def test_a_decision_about_an_invoice_names_its_vendor(workspace: Workspace) -> None:
    """A decision about a match (a pick, a refused double charge) names no vendor of its own:
    the export names its invoice's, so the auditor sees whose invoice it was."""
    vendor = make_vendor(workspace, name="Vertaalbureau Lingua BV")
    invoice = make_invoice(workspace, vendor=vendor, number="2026-0457")
    match = make_match(workspace, invoice=invoice, kind=MatchKind.DOUBLE_PAYMENT)
    Decision.record_for_match(match, DecisionAction.REFUSE, actor=None)
    other = make_vendor(workspace, name="Merged Into GmbH")
    Decision.record_for_invoice(invoice, DecisionAction.MERGE_VENDOR, actor=None, vendor=other)
    Decision.record(workspace=workspace, action=DecisionAction.THRESHOLDS, actor=None)
    rows = DecisionResource().export(Decision.objects.order_by("pk")).dict

    assert [row["Vendor name"] for row in rows] == [
        "Vertaalbureau Lingua BV",
        "Merged Into GmbH",  # the vendor the decision names wins
        "",
    ]


def test_labelled_columns_are_escaped_against_formula_injection(workspace: Workspace) -> None:
    """The label and its code pass through the one escaping, like every cell."""
    make_document(workspace, kind="=cmd|' /C calc'!A0", status=DocumentStatus.PARSED)
    [row] = DocumentResource().export(Document.objects.all()).dict

    assert (row["Kind"], row["Kind code"]) == ("'=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0")


def test_the_export_form_s_format_menu_starts_on_csv_and_names_formats_in_capitals(
    workspace: Workspace,
) -> None:
    auditor = make_user("audrey", workspace=workspace, role=Role.AUDITOR)
    page = logged_in_client(auditor).get("/admin/reconciliation/document/export/")
    menu = re.search(r'<select name="format"[^>]*>(.*?)</select>', page.content.decode(), re.S)
    assert menu is not None
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', menu.group(1))
    assert options == [("0", " selected", "CSV"), ("1", "", "XLSX")]
