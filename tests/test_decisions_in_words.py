"""Decisions in words, not codes: the decisions export's "Changes" column and a decision's own
page read routing rules, connections, bank lines and flags as people name them (one helper,
`decision_display.stated_changes`, for both); ids nobody reads are left out."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import User
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reconciliation.admin.decision_display import display_value
from reconciliation.connections.flows import _activate
from reconciliation.invoices.routing import record_rule_change
from reconciliation.invoices.routing import rule_snapshot
from reconciliation.matching.flags import reopen_paid_refused
from reconciliation.matching.flags import request_refund
from reconciliation.models import ConnectionStatus
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import DocumentKind
from reconciliation.models import InvoiceStatus
from reconciliation.models import MatchKind
from reconciliation.models import Provider
from reconciliation.models import RoutingRule
from reconciliation.models import Side
from reconciliation.models import Workspace
from reconciliation.reports.decision_log import DecisionLogResource
from reconciliation.reports.spreadsheets import column_header
from tests.factories import make_connection
from tests.factories import make_double_payment
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_paid_refused
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_vendor
from tests.factories import make_workspace
from tests.factories import qonto_connection
from tests.helpers import logged_in_client
from tests.helpers import readonly_value
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db


def _changes(workspace: Workspace) -> list[str]:
    """The "Changes" cell of each of the workspace's decisions, oldest first."""
    queryset = Decision.objects.filter(workspace=workspace).order_by("created_at", "id")
    dataset = DecisionLogResource().export(queryset=queryset)
    return [str(row[column_header("changes")] or "") for row in dataset.dict]


def test_a_routing_rule_reads_as_its_settings_in_words(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    """Its document kind by label, its amount as money, its vendor by name; no "Id: — → 1"."""
    vendor = make_vendor(workspace, "Kontor Nord GmbH")
    big = RoutingRule.objects.create(
        workspace=workspace,
        name="Large invoices",
        document_kind=DocumentKind.INVOICE,
        currency="EUR",
        amount_above=Decimal("5000"),
        vendor=vendor,
    )
    record_rule_change(workspace=workspace, user=reviewer, before=None, after=rule_snapshot(big))
    any_currency = RoutingRule.objects.create(
        workspace=workspace, name="Any currency", amount_above=Decimal("5000")
    )
    record_rule_change(
        workspace=workspace, user=reviewer, before=None, after=rule_snapshot(any_currency)
    )

    [created, no_currency] = _changes(workspace)

    assert "Document kind: — → Supplier invoice" in created
    assert "Amount above: — → 5,000.00 EUR" in created
    assert "Vendor: — → Kontor Nord GmbH" in created
    assert "Amount above: — → 5,000.00" in no_currency  # its minor units, no currency to name
    for cell in (created, no_currency):
        assert not re.search(r"\bId:", cell)
        assert "→ invoice" not in cell
        assert "→ 5000" not in cell


def test_a_routing_names_the_rule_it_applied_by_its_number(workspace: Workspace) -> None:
    invoice = make_invoice(workspace)
    Decision.record_for_invoice(
        invoice,
        DecisionAction.ROUTE,
        actor=None,
        before={"status": "new"},
        after={"status": "needs_review", "rule": 3},
    )

    assert _changes(workspace) == ["Status: New → Needs review; Routing rule: — → Rule #3"]


def test_a_connection_reads_as_its_status_and_provider(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    connection = make_connection(workspace, Provider.APIDECK, status=ConnectionStatus.PENDING)

    _activate(connection, User.objects.get(pk=reviewer.pk))

    [activated] = _changes(workspace)
    assert "Status: — → Active" in activated
    assert "Provider: — → Dropbox via Apideck" in activated
    assert "Connection:" not in activated  # its id: noise
    assert "apideck" not in activated
    assert "→ active" not in activated


def _remittance_pick(workspace: Workspace, counterparty: str) -> Decision:
    """A match picked as Well records a remittance advice's: the credit by Qonto's id."""
    credit = make_transaction(
        workspace,
        qonto_connection(workspace),
        side=Side.CREDIT,
        amount=Decimal("1250.00"),
        counterparty_name=counterparty,
        value_date=date(2026, 11, 3),
        qonto_id=f"01a1fd96-693b-{uuid.uuid4()}",
    )
    match = make_match(workspace, kind=MatchKind.CREDIT_RECEIVABLE, transaction=credit)
    return Decision.record_for_match(
        match,
        DecisionAction.PICK_MATCH,
        actor=None,
        after={"receivable": "SO-1001", "transaction": credit.qonto_id},
    )


def test_a_picked_bank_line_reads_as_date_amount_and_counterparty(workspace: Workspace) -> None:
    _remittance_pick(workspace, "Client SARL")

    [picked] = _changes(workspace)

    assert "Bank line: — → 3 Nov 2026 · +1,250.00 EUR · Client SARL" in picked
    assert "01a1fd96" not in picked


def test_a_bank_line_nobody_can_name_is_left_out(workspace: Workspace) -> None:
    """A decision naming another line than its match's (or none): no bare id in its place."""
    match = make_match(workspace, kind=MatchKind.CREDIT_RECEIVABLE)
    Decision.record_for_match(
        match,
        DecisionAction.PICK_MATCH,
        actor=None,
        after={"receivable": "SO-1001", "transaction": "01a1fd96-693b-0000"},
    )

    [picked] = _changes(workspace)

    assert picked == "Receivable: — → SO-1001"


def test_naming_bank_lines_keeps_the_export_s_queries_constant(workspace: Workspace) -> None:
    def queries(decisions: int) -> int:
        for n in range(decisions):
            _remittance_pick(workspace, f"Client {n:03d}")
        with CaptureQueriesContext(db_connection) as captured:
            cells = _changes(workspace)
        assert all("Bank line: — → 3 Nov 2026 ·" in cell for cell in cells)
        return len(captured)

    one = queries(1)
    assert queries(5) == one  # six decisions now, the same queries


def test_reopening_a_paid_refused_invoice_says_the_invoice_went_back_to_review(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    flag = make_paid_refused(workspace, "INV-77", day=date(2026, 11, 4))

    reopen_paid_refused(match=flag, user=reviewer)

    decision = Decision.objects.get(action=DecisionAction.REOPEN)
    assert decision.invoice_id == flag.invoice_id  # in the invoice's own history too
    assert (decision.before["invoice_status"], decision.after["invoice_status"]) == (
        InvoiceStatus.REFUSED,
        InvoiceStatus.NEEDS_REVIEW,
    )
    assert _changes(workspace) == [
        "Status: Proposed — needs review → Confirmed; Invoice status: Refused → Needs review"
    ]


def _what_changed(page: str) -> list[str]:
    """The rows of a decision page's "What changed", as read."""
    found = re.search(
        r'field-what_changed">.*?<div class="readonly">((?:<div>.*?</div>)*)</div>', page, re.S
    )
    assert found is not None
    return [visible_text(row) for row in re.findall(r"<div>(.*?)</div>", found.group(1))]


def test_a_decision_s_page_reads_its_changes_in_words(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    """A refund requested: the change in words (as the export), the recorded JSON kept but
    collapsed under "Raw record", and the vendor its invoice's, said so."""
    vendor = make_vendor(workspace, "Kontor Nord GmbH")
    flag = make_double_payment(
        workspace, "INV-88", days=(date(2026, 11, 2), date(2026, 11, 9)), vendor=vendor
    )
    request_refund(match=flag, user=reviewer)
    decision = Decision.objects.get(action=DecisionAction.REFUND_REQUESTED)
    client = logged_in_client(make_user(superuser=True))

    page = client.get(reverse("admin:reconciliation_decision_change", args=[decision.pk]))

    content = page.content.decode()
    assert _what_changed(content) == ["Status: Proposed — needs review → Refund requested"]
    assert _changes(workspace) == ["Status: Proposed — needs review → Refund requested"]
    raw = content.split("Raw record")[1]
    assert "&quot;double_payment&quot;" in raw  # the JSON, below its collapsed heading
    assert "&quot;double_payment&quot;" not in content.split("Raw record")[0]
    assert re.search(r"<details><summary>\s*<h\d[^>]*>Raw record", content)
    assert readonly_value(content, "vendor_named") == "Kontor Nord GmbH (vendor of the invoice)"


def test_a_decision_s_own_vendor_reads_plain(workspace: Workspace) -> None:
    vendor = make_vendor(workspace, "Kontor Nord GmbH")
    invoice = make_invoice(workspace, vendor=make_vendor(workspace, "Other GmbH"))
    decision = Decision.record_for_invoice(
        invoice,
        DecisionAction.MERGE_VENDOR,
        actor=None,
        vendor=vendor,
        before={"vendor": {"name": "Kontor Nord"}},
        after={"vendor": {"name": "Kontor Nord GmbH"}},
    )
    client = logged_in_client(make_user(superuser=True))

    page = client.get(reverse("admin:reconciliation_decision_change", args=[decision.pk]))

    content = page.content.decode()
    assert readonly_value(content, "vendor_named") == "Kontor Nord GmbH"
    assert _what_changed(content) == ["Vendor name: Kontor Nord → Kontor Nord GmbH"]


def test_the_items_of_a_recorded_list_read_apart_from_the_next_change() -> None:
    """ "; " parts one change from the next in the Changes cell, so a list's items use " / "."""
    assert display_value("aliases", ["Acme", "Acme SAS"]) == "Acme / Acme SAS"


def test_a_routing_rule_s_vendor_reads_by_name_on_its_page_as_in_the_log(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    """The decision's page and the decision log name a rule's vendor through one look-up
    (`decision_display.rule_vendor_names`): by its name, and never a vendor of another
    workspace (its id stays "Vendor #…")."""
    vendor = make_vendor(workspace, "Kontor Nord GmbH")
    elsewhere = make_vendor(make_workspace("Other SAS"), "Elsewhere GmbH")
    rule = RoutingRule.objects.create(workspace=workspace, name="Kontor", vendor=vendor)
    old = rule_snapshot(rule)
    record_rule_change(
        workspace=workspace, user=reviewer, before=old, after={**old, "vendor": elsewhere.pk}
    )
    decision = Decision.objects.get(action=DecisionAction.RULE)
    client = logged_in_client(make_user(superuser=True))

    page = client.get(reverse("admin:reconciliation_decision_change", args=[decision.pk]))

    expected = f"Vendor: Kontor Nord GmbH → Vendor #{elsewhere.pk}"
    assert _what_changed(page.content.decode()) == [expected]
    assert _changes(workspace) == [expected]


def test_a_decision_s_page_names_its_match_s_bank_line_read_with_the_decision(
    workspace: Workspace,
) -> None:
    """The page reads the decision with its match's bank line (`DecisionAdmin.get_object`):
    the line named as the export names it, and no query of its own for the match or the line."""
    decision = _remittance_pick(workspace, "Client SARL")
    client = logged_in_client(make_user(superuser=True))
    url = reverse("admin:reconciliation_decision_change", args=[decision.pk])

    with CaptureQueriesContext(db_connection) as captured:
        page = client.get(url)

    assert "Bank line: — → 3 Nov 2026 · +1,250.00 EUR · Client SARL" in _what_changed(
        page.content.decode()
    )
    alone = [
        query["sql"]
        for query in captured.captured_queries
        if re.search(r'FROM "reconciliation_(match|transaction)"', query["sql"])
    ]
    assert alone == []
