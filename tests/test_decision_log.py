from __future__ import annotations

from datetime import UTC
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from reconciliation.invoices.routing import record_rule_change
from reconciliation.invoices.routing import record_threshold_change
from reconciliation.invoices.routing import rule_snapshot
from reconciliation.invoices.routing import threshold_values
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import MatchKind
from reconciliation.models import Role
from reconciliation.models import RoutingRule
from reconciliation.models import Workspace
from reconciliation.reports.decision_log import LOG_COLUMNS
from reconciliation.reports.decision_log import DecisionLogResource
from reconciliation.reports.spreadsheets import column_header
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_user
from tests.factories import make_vendor
from tests.factories import make_workspace
from tests.helpers import csv_rows
from tests.helpers import export_every_column
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def _at(hour: int) -> datetime:
    return datetime(2026, 11, 2, hour, tzinfo=UTC)


def _history(workspace: Workspace) -> None:
    """Routed at 9 with 55/85; thresholds changed at 10 (→ 60/90); a rule created at 11 and
    changed at 12; routed by the rule at 13; corrected and approved by Ana at 14."""
    vendor = make_vendor(workspace, "Kontor Nord GmbH")
    invoice = make_invoice(
        workspace,
        vendor=vendor,
        fields={
            "total_amount": {"value": "119.00", "confidence": 0.97},
            "currency": {"value": "EUR", "confidence": 1.0},
        },
    )
    ana = make_user("ana", workspace=workspace, role=Role.ADMIN)

    def decide(
        hour: int, action: DecisionAction, actor: Any, before: dict[str, Any], **after: Any
    ) -> None:
        _record(
            hour,
            workspace=workspace,
            action=action,
            actor=actor,
            invoice=invoice,
            vendor=vendor,
            before=before,
            after=after,
        )

    def route(hour: int, rule: int | None, review: str, auto_post: str) -> None:
        decide(
            hour,
            DecisionAction.ROUTE,
            None,
            {"status": "new"},
            status="needs_review",
            confidence="80.00",
            rule=rule,
            review_threshold=review,
            auto_post_threshold=auto_post,
        )

    route(9, None, "55.00", "85.00")
    before = threshold_values(workspace)
    workspace.review_threshold, workspace.auto_post_threshold = Decimal(60), Decimal(90)
    workspace.save()
    record_threshold_change(workspace=workspace, user=ana, before=before)
    _move_last(10)
    rule = RoutingRule.objects.create(workspace=workspace, name="Large invoices", priority=5)
    record_rule_change(workspace=workspace, user=ana, before=None, after=rule_snapshot(rule))
    _move_last(11)
    old = rule_snapshot(rule)
    rule.auto_post_threshold = Decimal(95)
    rule.save()
    record_rule_change(workspace=workspace, user=ana, before=old, after=rule_snapshot(rule))
    _move_last(12)
    route(13, rule.pk, "55.00", "95.00")
    decide(14, DecisionAction.EDIT, ana, {"total_amount": "119.00"}, total_amount="120.00")
    decide(15, DecisionAction.APPROVE, ana, {"status": "needs_review"}, status="approved")


def _record(hour: int, **values: object) -> None:
    Decision.record(**values)  # type: ignore[arg-type]
    _move_last(hour)


def _move_last(hour: int) -> None:
    last = Decision.objects.order_by("-id").first()
    assert last is not None
    Decision.objects.filter(pk=last.pk)._unguarded_update(created_at=_at(hour))


COLUMNS = ("action_code", "actor", *LOG_COLUMNS)


def _rows(workspace: Workspace) -> list[tuple[str, ...]]:
    queryset = Decision.objects.filter(workspace=workspace).order_by("created_at", "id")
    dataset = DecisionLogResource().export(queryset=queryset)
    return [tuple(str(row[column_header(c)] or "") for c in COLUMNS) for row in dataset.dict]


def test_each_decision_carries_the_rules_in_force_at_its_moment() -> None:
    workspace = make_workspace(review_threshold=Decimal(55), auto_post_threshold=Decimal(85))
    _history(workspace)
    rule = RoutingRule.objects.get()
    confidences = "Currency: 100 %; Total: 97 %"
    named = f"#{rule.pk} Large invoices"
    # Thresholds 60/90 (their version 2) and the rule in its version 2.
    in_force = ("60 %", "90 %", "v2", named, "v2")
    # Its settings as people read them; a setting left blank on both sides is not a change,
    # and the rule's own id is no setting (the "routing rule" column names it).
    created = (
        "Review threshold: — → 55 %; Auto-post threshold: — → 85 %; Always review: — → No; "
        "Active: — → Yes; Name: — → Large invoices; Priority: — → 5"
    )

    assert _rows(workspace) == [
        (
            "route",
            "Well",
            "Status: New → Needs review; Confidence: — → 80 %; "
            "Review threshold: — → 55 %; Auto-post threshold: — → 85 %",
            confidences,
            "55 %",
            "85 %",
            "v1",
            "workspace thresholds",
            "",
            "v1",
        ),
        (
            "thresholds",
            "ana",
            "Review threshold: 55 % → 60 %; Auto-post threshold: 85 % → 90 %",
            "",
            "60 %",
            "90 %",
            "v2",
            "workspace thresholds",
            "",
            "",
        ),
        ("rule", "ana", created, "", "60 %", "90 %", "v2", named, "v1", ""),
        ("rule", "ana", "Auto-post threshold: 85 % → 95 %", "", *in_force, ""),
        (
            "route",
            "Well",
            f"Status: New → Needs review; Confidence: — → 80 %; Routing rule: — → Rule #{rule.pk}; "
            "Review threshold: — → 55 %; Auto-post threshold: — → 95 %",
            confidences,
            "55 %",
            "95 %",
            "v2",
            named,
            "v2",
            "v1",
        ),
        ("edit", "ana", "Total: 119.00 EUR → 120.00 EUR", confidences, *in_force, "v1"),
        (
            "approve",
            "ana",
            "Status: Needs review → Approved — waiting for the posting window",
            confidences,
            *in_force,
            "v2",
        ),
    ]


def test_the_decisions_list_exports_the_log_as_csv() -> None:
    workspace = make_workspace(review_threshold=Decimal(55), auto_post_threshold=Decimal(85))
    _history(workspace)
    auditor = make_user("auditor", workspace=workspace, role=Role.AUDITOR)
    client = logged_in_client(auditor)

    response = export_every_column(client, "decision")

    header, _ = response.content.decode("utf-8-sig").split("\r\n", 1)
    assert header.endswith(
        ",Before,After,Reason,Changes,Field confidences,Review threshold,Auto-post threshold,"
        "Thresholds version,Routing rule,Routing rule version,Vendor mapping version"
    )
    rows = csv_rows(response)
    assert {column_header(c) for c in COLUMNS} <= set(rows[0])
    assert len(rows) == 7
    approve = next(r for r in rows if r["Action code"] == "approve")
    assert approve["Action"] == "Approved"
    assert (approve["Thresholds version"], approve["Vendor mapping version"]) == ("v2", "v2")


def test_a_value_the_after_does_not_hold_reads_not_recorded() -> None:
    """A refused double charge records its invoice's status and hold before, not after: the
    log says so instead of showing them emptied ("invoice_status: needs_review → ")."""
    workspace = make_workspace()
    invoice = make_invoice(workspace, vendor=make_vendor(workspace, "Lingua BV"))
    Decision.record(
        workspace=workspace,
        action=DecisionAction.REFUSE,
        actor=None,
        invoice=invoice,
        match=make_match(workspace, invoice=invoice, kind=MatchKind.DOUBLE_CHARGE),
        before={"status": "proposed", "invoice_status": "needs_review", "is_held": True},
        after={"status": "refused"},
    )
    Decision.record(
        workspace=workspace,
        action=DecisionAction.RULE,
        actor=None,
        before={"id": 7, "name": "Old rule", "document_kind": ""},
        after={},
    )
    [refused, deleted] = _rows(workspace)

    assert refused[2] == (
        "Status: Proposed — needs review → Refused / refund requested; "
        "Invoice status: Needs review → not recorded; Held out of posting: Yes → not recorded"
    )
    assert deleted[2] == "Name: Old rule → —"  # a deleted rule: nothing after (its id: noise)
