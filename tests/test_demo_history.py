"""The demo workspace's past: printed as each vendor prints its new invoices, numbered and
priced apart from them, enough of it to train three vendors, and the same at every run; once
seeded, its decisions are dated when their events happened."""

from __future__ import annotations

from collections import Counter
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from connectors.sandbox.demo_data import TRAINED_AFTER
from connectors.sandbox.demo_data import DemoHistory
from connectors.sandbox.demo_data import DemoScenario
from connectors.sandbox.demo_data import build_demo_history
from connectors.sandbox.demo_data import build_demo_scenario
from reconciliation.management.demo_history import HISTORY_SOURCE
from reconciliation.management.demo_history import HistoryMoments
from reconciliation.management.demo_history import seed_demo_workspace
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import Role
from reconciliation.models import Workspace
from reconciliation.models.vendor import TRAINING_DOCUMENTS
from tests.factories import make_user


@pytest.fixture(scope="module")
def scenario() -> DemoScenario:
    return build_demo_scenario(7)


@pytest.fixture(scope="module")
def history(scenario: DemoScenario) -> DemoHistory:
    return build_demo_history(scenario)


def test_training_count_is_the_products(history: DemoHistory) -> None:
    assert TRAINED_AFTER == TRAINING_DOCUMENTS
    assert history.trained == (
        "Nuage Hébergement SAS",
        "Van Dijk Vertaalbureau B.V.",
        "Tipografia Rossi S.r.l.",
    )
    assert history.reviewed["Northwind Analytics Inc."] == 4
    by_vendor = Counter(item.document.truth["supplier_name"] for item in history.invoices)
    assert dict(by_vendor) == history.reviewed


def test_history_is_printed_as_the_vendors_new_invoices(
    scenario: DemoScenario, history: DemoHistory
) -> None:
    printed = {
        (d.truth["supplier_name"], d.layout, d.language)
        for _, d in scenario.files
        if d.kind == "invoice"
    }
    for item in history.invoices:
        truth = item.document.truth
        assert (truth["supplier_name"], item.document.layout, item.document.language) in printed
        assert item.document.kind == "invoice"
    hosting = [i for i in history.invoices if i.document.extra.get("facturx")]
    assert len(hosting) == TRAINED_AFTER  # the host embeds Factur-X, as in the scenario


def test_history_comes_before_each_vendors_new_invoices_and_never_repeats_them(
    scenario: DemoScenario, history: DemoHistory
) -> None:
    new = [d for _, d in scenario.files if d.kind in ("invoice", "credit_note")]
    first_new: dict[str | None, str] = {}
    for d in new:
        name, issued = d.truth["supplier_name"], d.truth["issue_date"] or ""
        first_new[name] = min(first_new.get(name, issued), issued)
    numbers = {d.truth["invoice_number"] for d in new}
    totals = {Decimal(d.truth["total_amount"] or "0") for d in new}
    paths = {path for path, _ in scenario.files}
    for item in history.invoices:
        truth = item.document.truth
        assert (truth["issue_date"] or "") < first_new[truth["supplier_name"]]
        assert truth["invoice_number"] not in numbers
        assert Decimal(truth["total_amount"] or "0") not in totals
        assert item.path not in paths
        assert item.posted_on.isoformat() > (truth["issue_date"] or "")
    assert len({item.document.truth["invoice_number"] for item in history.invoices}) == len(
        history.invoices
    )


def test_history_is_deterministic(scenario: DemoScenario, history: DemoHistory) -> None:
    again = build_demo_history(scenario)
    assert [i.document.sha256 for i in again.invoices] == [
        i.document.sha256 for i in history.invoices
    ]
    assert [i.ledger_account for i in again.invoices] == [
        i.ledger_account for i in history.invoices
    ]


@pytest.mark.django_db
def test_seeded_history_decisions_are_dated_when_their_events_happened(
    workspace: Workspace, history: DemoHistory
) -> None:
    """Routed when received, corrected and approved when reviewed, posted when posted (UTC),
    as the invoice's own dates say; a decision made afterwards is dated when it is made."""
    user = make_user("demo", workspace=workspace, role=Role.ADMIN)
    seeded = seed_demo_workspace(workspace=workspace, user=user)
    assert seeded.seeded == len(history.invoices)
    moments = {f"{HISTORY_SOURCE}{item.path}": HistoryMoments.of(item) for item in history.invoices}
    invoices = Invoice.objects.for_workspace(workspace).select_related("document")
    by_id = {invoice.pk: invoice for invoice in invoices}
    dated: Counter[str] = Counter()
    for decision in Decision.objects.for_workspace(workspace):
        assert decision.invoice_id is not None
        invoice = by_id[decision.invoice_id]
        moment = moments[invoice.document.source_file_id]
        expected = {
            DecisionAction.ROUTE: (moment.received, invoice.document.received_at),
            DecisionAction.EDIT: (moment.decided, invoice.decided_at),
            DecisionAction.APPROVE: (moment.decided, invoice.decided_at),
            DecisionAction.POST: (moment.posted, invoice.posted_at),
        }[DecisionAction(decision.action)]
        assert (decision.created_at, decision.created_at) == expected
        assert decision.created_at.tzinfo == UTC
        dated[decision.action] += 1
    for action in (DecisionAction.ROUTE, DecisionAction.APPROVE, DecisionAction.POST):
        assert dated[action] == len(history.invoices)

    posted = invoices.get(document__source_file_id=next(iter(moments)))
    live = Decision.record_for_invoice(posted, DecisionAction.HOLD, actor=user, reason="Live")
    assert timezone.now() - live.created_at < timedelta(minutes=1)
    assert live.created_at > max(m.posted for m in moments.values())
    assert Decision.objects.get(pk=live.pk).created_at == live.created_at


def test_history_moments_follow_the_posting_day(history: DemoHistory) -> None:
    item = history.invoices[0]
    moments = HistoryMoments.of(item)
    day = item.posted_on
    assert moments == HistoryMoments(
        received=datetime(day.year, day.month, day.day, 9, tzinfo=UTC) - timedelta(days=1),
        decided=datetime(day.year, day.month, day.day, 10, tzinfo=UTC),
        posted=datetime(day.year, day.month, day.day, 18, tzinfo=UTC),
    )
